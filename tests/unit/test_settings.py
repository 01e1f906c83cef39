from pathlib import Path

from consultant.settings import Settings
from consultant.shipped import SOURCE_ROOT, shipped


class TestWebUrl:
    def test_follows_the_web_apps_listening_address_when_not_set(self):
        assert Settings(web_listen="127.0.0.1:8321").web_url == "http://127.0.0.1:8321"

    def test_an_address_listening_everywhere_is_linked_on_loopback(self):
        assert Settings(web_listen="0.0.0.0:9000").web_url == "http://127.0.0.1:9000"

    def test_the_setting_wins_without_its_trailing_slash(self):
        assert Settings(web_listen="0.0.0.0:9000", web_base_url="https://c.example/app/").web_url == \
            "https://c.example/app"


class TestShippedFiles:
    def test_a_checkout_reads_templates_and_config_where_they_stand(self):
        assert shipped("templates") == SOURCE_ROOT / "templates"
        assert (shipped("config") / "routing.toml").is_file()

    def test_defaults_point_at_the_shipped_files_and_settings_override_them(self, tmp_path):
        assert Settings().plans == shipped("config") / "plans.toml"
        assert Settings(templates_dir=tmp_path).templates_dir == Path(tmp_path)
