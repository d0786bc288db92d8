"""How many SMS segments a text takes: GSM-7 (160, then 153 per part) or UCS-2 (70, then 67)."""

GSM7_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = set("^{}\\[~]|€\f")  # each takes two septets (an escape, then the character)


def count(text: str) -> tuple[int, int, str]:
    """(characters, segments, encoding) of a text as carriers bill it."""
    if all(c in GSM7_BASIC or c in GSM7_EXTENSION for c in text):
        units = sum(2 if c in GSM7_EXTENSION else 1 for c in text)
        single, multi, encoding = 160, 153, "GSM-7"
    else:
        units = len(text.encode("utf-16-le")) // 2  # an emoji is two UTF-16 code units
        single, multi, encoding = 70, 67, "UCS-2"
    if units == 0:
        return 0, 0, encoding
    segments = 1 if units <= single else -(-units // multi)
    return units, segments, encoding
