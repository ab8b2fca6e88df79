"""The bank at a glance: requests by state and stuck ones, hours given, balances to watch, problems."""
from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, render_template
from sqlalchemy import func, select

from ledger.orm import Member
from ledger.reports import hours_per_month, summary
from scheduler.lifecycle import ACTIVE, STATE_TH
from scheduler.orm import HelpRequest
from scheduler.requests import stuck_requests
from wela.admin import charts, formatting, troubleshooting
from wela.admin.i18n import gettext as _
from wela.admin.security import requires
from wela.admin.web import today, wela

bp = Blueprint("dashboard", __name__)


@bp.route("/")
@requires("dashboard")
def index():  # noqa: ANN201
    w = wela()
    day = today()
    with w.reads() as s:
        by_state = dict(s.execute(select(HelpRequest.state, func.count(HelpRequest.id))
                                  .where(HelpRequest.state.in_(ACTIVE))
                                  .group_by(HelpRequest.state)).all())
        stuck = list(stuck_requests(s))
        names = dict(s.execute(select(Member.id, Member.name).where(
            Member.id.in_({r.member_id for r in stuck}))).all()) if stuck else {}
        sm = summary(s, day)
        months = hours_per_month(s, day, months=6)
        problems = troubleshooting.counts(s, since=w.clock.now() - timedelta(days=7))
    state_chart = charts.bar_chart([(_(STATE_TH[st]), by_state.get(st, 0)) for st in ACTIVE],
                                   title=_("คำขอที่ยังไม่จบ แยกตามสถานะ"))
    month_chart = charts.bar_chart(
        [(formatting.month(m.year, m.month), m.minutes_given) for m in months],
        title=_("ชั่วโมงที่ให้บริการ 6 เดือนล่าสุด"), value_text=formatting.duration, highlight_last=True)
    return render_template("admin/dashboard.html", by_state=by_state, states=ACTIVE, state_th=STATE_TH,
                           stuck=stuck, names=names, sm=sm, problems=problems,
                           state_chart=state_chart, month_chart=month_chart,
                           open_total=sum(by_state.values()))
