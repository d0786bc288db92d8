"""The simulated carrier refuses as any carrier does: a SendError that says what it means."""

import pytest

from app.sms import Reason, SendError
from app.sms.simulator import SimulatedCarrier
from tests.support import CUSTOMER, NUM


def test_a_phone_unsubscribed_at_the_simulated_carrier_is_a_final_refusal_in_words():
    carrier = SimulatedCarrier(unsubscribed=frozenset({CUSTOMER}))

    with pytest.raises(SendError) as refused:
        carrier.send(NUM, CUSTOMER, "Hello")

    assert refused.value.reason == Reason.UNSUBSCRIBED
    assert not refused.value.retryable
    assert refused.value.message == "The recipient has unsubscribed from this number (STOP)."
    assert carrier.reason(refused.value.code) == refused.value.message
