"""Usage per sender, per organisation and per sender domain, per month; a CSV export and a chart of questions per day."""

from __future__ import annotations

import csv
import io

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from markupsafe import Markup

from consultant.db.session import session_scope
from consultant.settings import get_settings
from consultant.usage.admission import plans_of
from consultant.staff.accounts import Staff
from consultant.usage.monthly import BY, questions_per_day, usage_report
from consultant.web.auth import current_staff
from consultant.web.chart import daily_chart
from consultant.web.render import page

router = APIRouter(include_in_schema=False)
CSV_COLUMNS = ("who", "month", "questions", "auto_answered", "reviewed", "median_answer_seconds",
               "p90_answer_seconds", "plan", "remaining")


@router.get("/usage")
def usage_page(request: Request, staff: Staff = Depends(current_staff), by: str = "sender") -> Response:
    by = by if by in BY else "sender"
    with session_scope() as session:
        rows = usage_report(session, by, plans_of(get_settings()))
        days = questions_per_day(session)
    return page(request, "usage.html", staff, rows=rows, by=by, chart=Markup(daily_chart(days)))


@router.get("/usage.csv")
def usage_csv(staff: Staff = Depends(current_staff), by: str = "sender") -> Response:
    by = by if by in BY else "sender"
    with session_scope() as session:
        rows = usage_report(session, by, plans_of(get_settings()))
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        data = row.as_dict()
        writer.writerow(["" if data[c] is None else data[c] for c in CSV_COLUMNS])
    return Response(out.getvalue(), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="usage-by-{by}.csv"'})
