"""`wela serve`: gunicorn on one machine, with the job runner in the single worker when asked."""
from __future__ import annotations

from typing import Any

from gunicorn.app.base import BaseApplication

from wela.app import create_app


class _Server(BaseApplication):
    def __init__(self, options: dict[str, Any], scheduler: bool) -> None:
        self.options = options
        self.scheduler = scheduler
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):  # noqa: ANN201
        app = create_app()
        if self.scheduler:
            from wela.runner import start_background_runner

            start_background_runner(app.extensions["wela"])
        return app


def serve(*, host: str, port: int, threads: int, scheduler: bool) -> None:
    """One worker process with threads: SQLite-friendly, and the job runner runs exactly once."""
    print(f"Wela กำลังทำงานที่ http://{host}:{port}/  (กด Ctrl+C เพื่อหยุด)", flush=True)
    _Server({"bind": f"{host}:{port}", "workers": 1, "threads": threads, "worker_class": "gthread",
             "accesslog": "-", "timeout": 60, "graceful_timeout": 10,
             # gunicorn's management socket (~/.gunicorn/gunicorn.ctl) is not ours to open: nothing
             # uses it, and a second server on the machine logs an error finding it taken.
             "control_socket_disable": True}, scheduler).run()
