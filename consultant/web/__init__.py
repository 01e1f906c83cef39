"""The staff web app: server-rendered pages and a JSON API over the review actions (FastAPI + Jinja2)."""
