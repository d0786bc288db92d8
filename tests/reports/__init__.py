"""Tests of the SMS reports (SPEC §2.8)."""
