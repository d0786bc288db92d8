"""Pictures and files in Chromium (SPEC §2.13): the simulated phone sends a photo, the agent sees
it in the thread and answers with a PDF (attached, previewed, one removed), and the phone shows
it; bad files are refused by the composer before anything goes."""

import re
from urllib.parse import urlencode

import pytest
from playwright.sync_api import expect

from app.storage import parsed
from tests.support import NUM
from tests.support.axe import serious_violations

BOB = "bob@acme.test"
PHONE = "+15005550177"
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f"
    b"\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00"
    b"\x00IEND\xaeB`\x82"
)
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


@pytest.fixture(params=["folder", "bucket"])
def storage_kind(request, app, tmp_path, monkeypatch):
    """The app's storage: its folder, or a bucket of a local S3-compatible server (as with
    STORAGE_URL=s3://…); yields the bucket's boto3 client and name, or None."""
    if request.param == "folder":
        yield None
        return
    client, bucket = request.getfixturevalue("s3")
    monkeypatch.setitem(app.extensions, "storage", parsed(f"s3://{bucket}/demo", tmp_path))
    yield client, bucket


def test_a_photo_from_the_phone_and_a_pdf_back(acme, open_as, live_server, storage_kind):
    phone = open_as()
    phone.goto(f"{live_server}/dev/phone?" + urlencode({"phone": PHONE, "number": NUM}))
    phone.fill("#body", "Here is the leak")
    phone.set_input_files(
        "#phone-files", files=[{"name": "leak.png", "mimeType": "image/png", "buffer": PNG}]
    )
    phone.get_by_role("button", name="Send").click()
    sent = phone.locator("#phone-thread img[alt='Picture 1 sent']")
    expect(sent).to_be_visible()
    assert phone.evaluate("img => img.naturalWidth", sent.element_handle()) == 1

    bob = open_as(BOB)
    bob.locator("#list .row-item", has_text="Here is the leak").click()
    expect(bob).to_have_url(re.compile(r"/conversations/\d+"))
    bob.wait_for_load_state()
    picture = bob.locator("#timeline img[alt='Picture 1 sent by the contact']")
    expect(picture).to_be_visible()
    assert bob.evaluate("img => img.naturalWidth", picture.element_handle()) == 1

    pdf = {"name": "quote.pdf", "mimeType": "application/pdf", "buffer": PDF}
    extra = {"name": "other.png", "mimeType": "image/png", "buffer": PNG}
    bob.set_input_files("#files", files=[pdf])
    bob.set_input_files("#files", files=[extra])  # a second pick adds to the first
    attached = bob.locator("#attachments .attachment")
    expect(attached).to_have_count(2)
    expect(bob.locator("#body-count")).to_have_text("0 characters · MMS with 2 files")
    bob.get_by_role("button", name="Remove other.png").click()
    expect(attached).to_have_count(1)
    expect(attached).to_contain_text("quote.pdf")
    bob.fill("#body", "Your quote")
    bob.get_by_role("button", name="Claim and send").click()
    expect(bob.locator("#action-status")).to_have_text("Text sent.")
    expect(bob.locator("#timeline")).to_contain_text("Download quote.pdf (application/pdf)")
    expect(attached).to_have_count(0)
    assert serious_violations(bob) == []

    expect(phone.locator("#phone-thread")).to_contain_text("Your quote")
    expect(phone.locator("#phone-thread")).to_contain_text("Download quote.pdf")
    link = phone.locator("#phone-thread a", has_text="quote.pdf").get_attribute("href")
    answer = phone.request.get(f"{live_server}{link}")
    assert answer.body() == PDF
    if storage_kind:
        client, bucket = storage_kind
        kept = [o["Key"] for o in client.list_objects_v2(Bucket=bucket)["Contents"]]
        # The phone's photo (as the carrier keeps it, and as the app does) and Bob's PDF.
        assert len(kept) == 3 and all(key.startswith("demo/") for key in kept)


def test_the_composer_refuses_too_many_files_before_sending(
    acme, client, open_as, api, live_server
):
    from tests.support import CUSTOMER, text_in

    text_in(client, CUSTOMER, NUM, "Hello")
    (item,) = api(BOB).tab("active")
    bob = open_as(BOB, 375, 812, has_touch=True, is_mobile=True)
    bob.goto(f"{live_server}/conversations/{item['id']}")
    bob.wait_for_load_state()
    eleven = [{"name": f"{n}.png", "mimeType": "image/png", "buffer": PNG} for n in range(11)]
    bob.set_input_files("#files", files=eleven)
    expect(bob.locator("#attachments-error")).to_have_text("At most 10 files go with one text.")
    bob.get_by_role("button", name="Claim and send").click()
    expect(bob.locator("#attachments-error")).to_be_focused()
    assert api(BOB).get(f"/conversations/{item['id']}").json["claimed_by"] is None
    assert bob.evaluate("document.documentElement.scrollWidth <= innerWidth")
    expect(bob.locator("#body")).to_be_in_viewport()


def test_a_note_leaves_the_files_attached_for_the_text(acme, client, open_as, api, live_server):
    from tests.support import CUSTOMER, text_in

    text_in(client, CUSTOMER, NUM, "Hello")
    (item,) = api(BOB).tab("active")
    bob = open_as(BOB)
    bob.goto(f"{live_server}/conversations/{item['id']}")
    bob.wait_for_load_state()
    bob.set_input_files(
        "#files", files=[{"name": "leak.png", "mimeType": "image/png", "buffer": PNG}]
    )
    bob.locator("label[for=mode-note]").click()
    bob.fill("#body", "Sending the photo after lunch")
    bob.get_by_role("button", name="Add note").click()
    expect(bob.locator("#timeline .note")).to_contain_text("Sending the photo after lunch")
    bob.locator("label[for=mode-text]").click()
    expect(bob.locator("#attachments .attachment")).to_have_count(1)
    expect(bob.locator("#body-count")).to_have_text("0 characters · MMS with 1 file")
