"""bench.readme puts each benchmark's latest table (and chart) between its README markers."""

from bench.readme import splice


def test_the_latest_table_replaces_the_old_one_and_missing_results_are_left_alone(tmp_path):
    (tmp_path / "latency.md").write_text("### Step latency\n\n`cmd` - machine\n\n| a |\n|---|\n| 1 |\n")
    (tmp_path / "latency.png").write_bytes(b"png")
    readme = "intro\n<!-- bench:latency -->\nold table\n<!-- /bench:latency -->\n<!-- bench:engine -->\nkept\n<!-- /bench:engine -->\n"

    updated = splice(readme, tmp_path)

    assert "old table" not in updated and "### Step latency" not in updated
    assert "<!-- bench:latency -->\n`cmd` - machine\n\n| a |\n|---|\n| 1 |\n\n![latency](bench/results/latency.png)\n<!-- /bench:latency -->" in updated
    assert "<!-- bench:engine -->\nkept\n<!-- /bench:engine -->" in updated
