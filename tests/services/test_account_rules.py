"""Rules of an account and its users written once: the company in its texts, password length."""

import pytest

from app.extensions import db
from app.models import Account
from app.services import directory, people
from app.services.errors import Invalid


def test_every_company_placeholder_names_the_account():
    account = Account(name="Acme Plumbing")
    assert account.expand("{company}: hi! Reply STOP to stop texts from {company}.") == (
        "Acme Plumbing: hi! Reply STOP to stop texts from Acme Plumbing."
    )
    assert account.sms_text("help").startswith("Acme Plumbing: reply to this number")


def test_a_new_user_and_a_new_password_need_the_same_length(ctx):
    account = directory.create_account("Acme Plumbing")
    with pytest.raises(Invalid) as short:
        directory.new_user(account, "bob@acme.test", "Bob", "B", "agent", password="seven77")
    assert short.value.fields == {"password": ["At least 8 characters."]}
    bob = directory.new_user(account, "bob@acme.test", "Bob", "B", "agent", password="eight888")
    db.session.commit()
    with pytest.raises(Invalid) as again:
        people.set_password(bob, "seven77")
    assert again.value.fields == {"password": ["At least 8 characters."]}
    people.set_password(bob, "eight888")
    assert people.authenticate("bob@acme.test", "eight888") == bob
