from __future__ import annotations

import csv
import io

from tests.builders import question_email
from tests.support.web import ask, sign_in


class TestUsagePage:
    def test_table_chart_and_csv(self, client, staff_app):
        ask(staff_app, question_email("What is K76.0?", sender="a@one.org"), sender="a@one.org")
        ask(staff_app, question_email("Does Medicare pay for K76.0?", sender="b@two.org"), sender="b@two.org")
        sign_in(client)
        page = client.get("/usage?by=domain").text
        assert "<td>one.org</td>" in page and "<td>two.org</td>" in page
        assert '<svg class="chart"' in page and page.count('<rect class="auto"') == 1
        assert page.count('<rect class="other"') == 1
        exported = client.get("/usage.csv?by=sender")
        assert exported.headers["content-type"].startswith("text/csv")
        rows = list(csv.DictReader(io.StringIO(exported.text)))
        assert sorted((r["who"], r["questions"], r["auto_answered"]) for r in rows) == [
            ("a@one.org", "1", "1"), ("b@two.org", "1", "0")]

    def test_plan_and_remaining_in_the_page_csv_and_api(self, client, staff_app, configure):
        from consultant.shipped import shipped

        metered = configure(database_url=staff_app.database_url,
                            plans=str(shipped("config") / "plans.toml"))
        ask(metered, question_email("What is K76.0?", sender="a@one.org"), sender="a@one.org")
        sign_in(client)
        assert "<td>guest</td><td>0</td>" in client.get("/usage").text
        [row] = list(csv.DictReader(io.StringIO(client.get("/usage.csv").text)))
        assert (row["plan"], row["remaining"]) == ("guest", "0")
        [api_row] = client.get("/api/usage").json()
        assert (api_row["plan"], api_row["remaining"]) == ("guest", 0)
