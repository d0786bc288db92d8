"""A widget submission as a visitor's page sends it."""

SITE = "https://www.acme-plumbing.test"  # the site Acme's widget is allowed on


def form(**changes) -> dict:
    """A valid submission, with `changes`."""
    return {
        "name": "Pat Doe",
        "phone": "(555) 010-0177",
        "message": "Do you fix boilers?",
        "consent": True,
        "page_url": SITE + "/contact",
        "website": "",
        **changes,
    }
