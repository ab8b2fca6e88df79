"""Turn errors into clear pages: never a stack trace to a browser, a caller or a volunteer."""
from __future__ import annotations

import logging

from flask import Flask, jsonify, request
from werkzeug.exceptions import HTTPException

from ledger.errors import WelaError

log = logging.getLogger("wela")


def init_app(app: Flask) -> None:
    @app.errorhandler(WelaError)
    def _domain(err: WelaError):  # noqa: ANN202
        return _reply(400, err.th, err.en)

    @app.errorhandler(HTTPException)
    def _http(err: HTTPException):  # noqa: ANN202
        th = {400: "คำขอไม่ถูกต้อง", 403: "ไม่มีสิทธิ์เข้าถึงหน้านี้", 404: "ไม่พบหน้าที่ต้องการ",
              405: "ใช้วิธีนี้กับหน้านี้ไม่ได้", 413: "ไฟล์หรือข้อมูลใหญ่เกินไป",
              429: "ลองบ่อยเกินไป กรุณารอสักครู่"}.get(err.code or 500, "เกิดข้อผิดพลาด")
        return _reply(err.code or 500, th, err.name)

    @app.errorhandler(Exception)
    def _unexpected(err: Exception):  # noqa: ANN202
        log.exception("unhandled error on %s %s", request.method, request.path)
        return _reply(500, "ขออภัย ระบบขัดข้อง กรุณาลองใหม่อีกครั้ง", "internal error")


def _reply(status: int, th: str, en: str):  # noqa: ANN202
    if request.path.startswith(("/voice/", "/sms/")):
        from wela.webhook_errors import webhook_error_reply
        return webhook_error_reply(status, th)
    if request.accept_mimetypes.best == "application/json" or request.path.startswith("/api/"):
        return jsonify(error=en, error_th=th), status
    from flask import render_template
    try:
        return render_template("error.html", status=status, th=th, en=en), status
    except Exception:  # noqa: BLE001  (no templates yet, or the template itself failed)
        from markupsafe import escape
        return (f"<!doctype html><meta charset=utf-8><title>{status}</title>"
                f"<h1>{escape(th)}</h1><p>{escape(en)}</p>", status)
