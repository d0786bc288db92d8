"""The rules of SPEC §2, once: views, API, webhooks, jobs and the CLI all call these."""
