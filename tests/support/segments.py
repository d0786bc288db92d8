"""The SMS segment counter's table, checked in Python and in the page's script alike."""

# text, characters as billed, segments, encoding
CASES = [
    ("", 0, 0, "GSM-7"),
    ("Hello", 5, 1, "GSM-7"),
    ("a" * 160, 160, 1, "GSM-7"),
    ("a" * 161, 161, 2, "GSM-7"),
    ("a" * 306, 306, 2, "GSM-7"),
    ("a" * 307, 307, 3, "GSM-7"),
    ("€", 2, 1, "GSM-7"),
    ("[x]", 5, 1, "GSM-7"),
    ("{" * 80, 160, 1, "GSM-7"),
    ("{" * 81, 162, 2, "GSM-7"),
    ("Café à 5 £", 10, 1, "GSM-7"),
    ("On my way 👍", 12, 1, "UCS-2"),
    ("a" * 69 + "👍", 71, 2, "UCS-2"),
    ("é" * 70 + "ç", 71, 2, "UCS-2"),
    ("ç" * 70, 70, 1, "UCS-2"),
    ("ç" * 134, 134, 2, "UCS-2"),
    ("ç" * 135, 135, 3, "UCS-2"),
]
