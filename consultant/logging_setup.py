"""Logging: one line per event, ids and sizes only (config/logging.ini may override)."""

from __future__ import annotations

import logging
import logging.config
import os

from consultant.shipped import shipped

DEFAULT_FORMAT = "%(asctime)s %(levelname)s %(process)d %(name)s: %(message)s"


def configure_logging(level: str | None = None) -> None:
    config_file = shipped("config") / "logging.ini"
    if os.environ.get("CONSULTANT_LOG_CONFIG"):
        logging.config.fileConfig(os.environ["CONSULTANT_LOG_CONFIG"], disable_existing_loggers=False)
    elif config_file.exists():
        logging.config.fileConfig(config_file, disable_existing_loggers=False)
    else:
        logging.basicConfig(format=DEFAULT_FORMAT)
    logging.getLogger().setLevel(level or os.environ.get("CONSULTANT_LOG_LEVEL", "INFO"))
