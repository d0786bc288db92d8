"""gunicorn's settings file (the Procfile's web process)."""

import gc
import runpy


def test_a_web_worker_that_built_the_app_leaves_it_out_of_the_collectors_rounds():
    hooks = runpy.run_path("gunicorn.conf.py")
    gc.unfreeze()
    try:
        hooks["post_worker_init"](None)
        assert gc.get_freeze_count() > 10_000  # the modules, the models, the app's routes
    finally:
        gc.unfreeze()
