"""Tests of the SMS providers."""
