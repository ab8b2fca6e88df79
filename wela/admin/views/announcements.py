"""Announcements for the village loudspeaker: write or pick a template, preview, render, play, download."""
from __future__ import annotations

from datetime import datetime, time, timedelta

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for

from ledger.clock import BANGKOK
from ledger.errors import WelaError
from wela.admin import announcements as use
from wela.admin.forms_money import AnnounceForm
from wela.admin.i18n import gettext as _
from wela.admin.orm import Announcement
from wela.admin.security import current_user, requires
from wela.admin.web import page_args, show_error, today, wela

bp = Blueprint("announcements", __name__, url_prefix="/announcements")


@bp.route("")
@requires("announce:view")
def index():  # noqa: ANN201
    number, size, offset = page_args(request.args.get("page"), size=30)
    with wela().reads() as s:
        rows = use.past_announcements(s, limit=size + 1, offset=offset)
    return render_template("admin/announcements.html", rows=rows[:size], more=len(rows) > size, page=number)


def _data(form: AnnounceForm) -> dict:
    """What the chosen template needs: typed by the headman, or counted from the bank's records."""
    template = form.template.data
    if template == "free":
        return {"text": form.text.data or ""}
    if template == "meeting":
        return {"date": form.meeting_date.data, "time": form.meeting_time.data, "place": form.place.data or ""}
    if template == "welcome":
        names = [n.strip() for n in (form.names.data or "").replace(",", "\n").splitlines() if n.strip()]
        return {"names": names}
    with wela().reads() as s:
        if template == "weekly":
            data = use.weekly_data(s, today())
            thanks = [n.strip() for n in (form.thanks.data or "").split(",") if n.strip()]
            if thanks:
                data["named_helpers"] = thanks
            return data
        return use.unmet_data(s)


@bp.route("/new", methods=["GET", "POST"])
@requires("announce:make")
def new():  # noqa: ANN201
    form = AnnounceForm()
    if request.method == "GET":
        with wela().reads() as s:
            since = datetime.combine(today() - timedelta(days=30), time(0), BANGKOK)
            form.names.data = "\n".join(use.new_member_names(s, since))
    shown, status = None, 200
    if form.validate_on_submit():
        data = _data(form)
        try:
            if request.form.get("action") == "make":
                play_at = datetime.combine(form.play_on.data, time(7, 0), BANGKOK) if form.play_on.data else None
                record = use.make_announcement(wela(), made_by=current_user().username,
                                               template=form.template.data, data=data,
                                               text=form.text.data or "", title=form.title.data or "",
                                               play_at=play_at)
                flash(_("ทำเสียงประกาศเสร็จแล้ว กดปุ่มเล่นเพื่อฟัง"), "success")
                return redirect(url_for("announcements.detail", announcement_id=record.id))
            shown = use.preview(form.template.data, data)
        except WelaError as err:
            _show(err, form)
            status = 400
    elif request.method == "POST":
        status = 400
    return render_template("admin/announce_new.html", form=form, shown=shown), status


# What a template says is missing, as the form's own fields.
_FIELDS = {"text": "text", "date": "meeting_date", "time": "meeting_time", "place": "place", "names": "names"}


def _show(err: WelaError, form: AnnounceForm) -> None:
    missing = [_FIELDS[m] for m in err.details.get("missing", []) if m in _FIELDS]
    for name in missing:
        getattr(form, name).errors = [_("กรุณากรอกช่องนี้")]
    if not missing:
        show_error(err, form)


def _load(announcement_id: int) -> Announcement:
    with wela().reads() as s:
        record = s.get(Announcement, announcement_id)
    if record is None:
        abort(404)
    return record


@bp.route("/<int:announcement_id>")
@requires("announce:view")
def detail(announcement_id: int):  # noqa: ANN201
    record = _load(announcement_id)
    return render_template("admin/announcement.html", a=record,
                           has_audio=use.audio_path(wela(), record) is not None)


def _send(announcement_id: int, attachment: bool):  # noqa: ANN202
    record = _load(announcement_id)
    path = use.audio_path(wela(), record)
    if path is None:
        abort(404)
    name = f"wela-announcement-{record.created_at.astimezone(BANGKOK):%Y%m%d}-{record.id}.mp3"
    return send_file(path, mimetype="audio/mpeg", as_attachment=attachment, download_name=name,
                     conditional=True, max_age=0)


@bp.route("/<int:announcement_id>/audio.mp3")
@requires("announce:view")
def audio(announcement_id: int):  # noqa: ANN201
    return _send(announcement_id, attachment=False)


@bp.route("/<int:announcement_id>/download")
@requires("announce:view")
def download(announcement_id: int):  # noqa: ANN201
    return _send(announcement_id, attachment=True)
