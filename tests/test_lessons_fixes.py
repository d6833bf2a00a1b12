"""Lesson helpers of notebooks 04 to 06 (xcon_teach.lessons.fixes): they select and lay out, never decide."""

from __future__ import annotations

import subprocess
import sys

import pytest

from xcon_teach import UsageError, load_scenario, simulate
from xcon_teach.challenges import CHALLENGES, challenge
from xcon_teach.lessons.fixes import failover_table, frame_of, retry_summary, settings_table, ticket


def test_retry_summary_reads_a_day_of_retries_from_the_trace() -> None:
    """DOMAIN.md section 6 (rev 2): 144 tries in all, 600 s apart; NDR at 143 x 600 s = 85,800 s [DOC Q234157, MODEL timing]."""
    text = retry_summary(simulate(load_scenario("kb-q169113")), "m1")
    assert text == (
        "m1, from EXCLUS to EXA:\n144 attempts, the first at 00:00:00, the last at 23:50:00, 600 s apart\n"
        "Override tab of EXCLUS->EXA: max open retries 144 (the tries in all), open interval 600 s; "
        "the last try 143 x 600 s = 85,800 s after the first\n"
        "returned to its sender as a non-delivery report (NDR) at 23:50:00\n"
    )


def test_retry_summary_follows_the_override_tab_and_other_endings() -> None:
    short = load_scenario("kb-q169113").with_retries("EXCLUS", max_open_retries=6, open_interval=300)
    assert retry_summary(simulate(short), "m1").splitlines()[-1].endswith("NDR) at 00:25:00")
    assert retry_summary(simulate(short), "m2") == "m2, from EXA to EXCLUS:\n1 attempt, at 00:00:00\ndelivered at 00:00:02\n"
    queued = retry_summary(simulate(load_scenario("kb-q169113"), until=1200), "m1")
    assert "3 attempts" in queued and queued.endswith("still queued when the run ends at 00:20:00\n")
    late = retry_summary(simulate(load_scenario("workaround")), "m3")
    assert late.startswith("m3, from EXCLUS to EXA:\n1 attempt, at 01:00:00")


def test_retry_summary_refuses_an_unknown_message() -> None:
    with pytest.raises(UsageError, match="no message 'm9' in this run; it has m1, m2"):
        retry_summary(simulate(load_scenario("kb-q169113"), until=0), "m9")


def test_failover_table_shows_which_fixes_survive_failover() -> None:
    kb = load_scenario("kb-q169113")
    table = failover_table(
        {
            "broken": kb,
            "wrong fix": kb.with_address("EXA", "10.0.1.11"),
            "override": kb.with_build("EXCLUS", "sp2").with_override("EXCLUS", "10.0.1.20"),
        }
    ).splitlines()
    assert table[0].split("  ")[0] == "variant" and table[0].endswith("WOLFPACK failed over")
    assert table[1].split()[1:] == ["only", "EXA->EXCLUS", "only", "EXA->EXCLUS"]
    assert table[2].split()[2:] == ["both", "ways", "neither", "way"]
    assert table[3].split()[1:] == ["both", "ways", "both", "ways"]


def test_failover_table_holds_groups_still_and_has_a_column_per_cluster() -> None:
    # The workaround's own failover at 00:30 is removed: failing over at the start must not fail back.
    assert failover_table({"w": load_scenario("workaround")}).splitlines()[1].split()[1:] == ["both", "ways", "both", "ways"]
    both = load_scenario("both-clustered")
    rows = failover_table({"EXCLA only": both.with_stack("EXCLA", "hostname", "EXCLUS")}).splitlines()
    assert "REDPACK failed over" in rows[0] and "WOLFPACK failed over" in rows[0] and rows[0].endswith("all failed over")
    # hypothesis S: EXCLA's host-name stack makes it present its virtual IP, which EXCLUS lists
    assert rows[1].split("  ")[0] == "EXCLA only" and rows[1].count("only EXCLA->EXCLUS") == 4


def test_failover_table_by_hypothesis_shows_both_readings() -> None:
    """DOMAIN.md 5b: each one-sided workaround works under one reading only; both sides under both."""
    kb = load_scenario("kb-q169113")
    table = failover_table(
        {
            "EXCLUS only": kb.with_stack("EXCLUS", "hostname", "EXA"),
            "EXA only": kb.with_stack("EXA", "hostname", "EXCLUS"),
            "both": kb.with_stack("EXCLUS", "hostname", "EXA").with_stack("EXA", "hostname", "EXCLUS"),
        },
        by_hypothesis=True,
    ).splitlines()
    assert [c.strip() for c in table[0].split("  ") if c.strip()][1:] == [
        "S: as set up",
        "S: WOLFPACK failed over",
        "R: as set up",
        "R: WOLFPACK failed over",
    ]
    assert [c.strip() for c in table[1].split("  ") if c.strip()][1:] == [
        "both ways",
        "both ways",
        "only EXA->EXCLUS",
        "only EXA->EXCLUS",
    ]
    assert [c.strip() for c in table[2].split("  ") if c.strip()][1:] == [
        "only EXA->EXCLUS",
        "only EXA->EXCLUS",
        "both ways",
        "both ways",
    ]
    assert table[3].count("both ways") == 4


def test_failover_table_under_one_named_hypothesis() -> None:
    """DOMAIN.md 5b: with two clusters, one side fixes the direction it sends (S) or the one it receives (R)."""
    both = load_scenario("both-clustered")
    only_excla = {"host name on EXCLA only": both.with_stack("EXCLA", "hostname", "EXCLUS")}
    under_s = failover_table(only_excla, hypothesis="sender").splitlines()
    under_r = failover_table(only_excla, hypothesis="receiver").splitlines()
    assert under_s[0].startswith("variant (hypothesis S)") and under_r[0].startswith("variant (hypothesis R)")
    assert under_s[1].split("  ")[-1].strip() == "only EXCLA->EXCLUS"
    assert under_r[1].split("  ")[-1].strip() == "only EXCLUS->EXCLA"
    with pytest.raises(UsageError, match="hypothesis: must be 'sender' or 'receiver' \\(got 'both'\\)"):
        failover_table(only_excla, hypothesis="both")  # type: ignore[arg-type]


def test_failover_table_refuses_mixed_or_missing_variants() -> None:
    with pytest.raises(UsageError, match="at least one"):
        failover_table({})
    with pytest.raises(UsageError, match=r"variants\['b'\]: every variant must have the clusters WOLFPACK"):
        failover_table({"a": load_scenario("kb-q169113"), "b": load_scenario("baseline")})


def test_settings_table_shows_what_a_fix_may_change() -> None:
    rows = settings_table(challenge("allowlist").scenario).splitlines()
    wall = [r for r in rows if r.startswith("Firewall")]
    assert len(wall) == 1 and "admits only 10.0.0.20, 10.0.1.20" in wall[0] and wall[0].endswith("no")
    assert any(r.startswith("Stack tab") and "Remote host name EXCLUS" in r for r in rows)
    assert any(r.startswith("Virtual server") and r.endswith("no (network)") for r in rows)
    ptr = settings_table(load_scenario("ptr-breaks-workaround"))
    assert "10.0.1.11 = NODE1, 10.0.1.12 = NODE2" in ptr


def test_settings_table_spells_out_fix_and_override() -> None:
    text = settings_table(load_scenario("hotfix").with_override("EXCLUS", "10.0.1.20").with_netbios(False))
    assert "RTM (build 1960), Q169113 fix: yes" in text and "EXCLUS->EXA  10.0.1.20" in text
    assert "build 2431, Q169113 fix: yes" in settings_table(load_scenario("hotfix").with_build("EXA", 2431))
    assert "NetBIOS (WINS, node status)  names" in text and text.rstrip().splitlines()[-2].split()[-2] == "off"


@pytest.mark.parametrize("c", CHALLENGES, ids=[c.name for c in CHALLENGES])
def test_ticket_tells_the_story_of_every_challenge(c) -> None:
    text = ticket(c)
    assert text.startswith(f"Ticket {c.name} (level {c.level}): {c.title}\n")
    assert " ".join(text.split()[len(f"Ticket {c.name} (level {c.level}): {c.title}".split()) :]) == " ".join(c.story.split())
    assert all(len(line) <= 100 for line in text.splitlines()[1:])


def test_helpers_stay_pure() -> None:
    code = "import sys, xcon_teach.lessons.fixes; print(sorted(m for m in ('matplotlib', 'ipywidgets') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_frame_of_finds_the_storyboard_frame_of_a_step() -> None:
    from xcon_teach.draw import storyboard

    trace = simulate(load_scenario("workaround").with_hypothesis("receiver"))
    frames = storyboard(trace)
    k = frame_of(trace, "EXCLUS->EXA", at=3600, stage="reverse-node-status")  # a frame number, from 1
    assert "NODE2 answers with every name it has registered, NODE2, EXCLUS" in trace.steps[frames[k - 1].step].text
    assert trace.steps[frames[frame_of(trace, "EXCLUS", kind="accept") - 1].step].kind == "accept"
    with pytest.raises(UsageError, match="has no step of kind 'refuse'"):
        frame_of(trace, "EXCLUS->EXA", kind="refuse")


def test_frame_of_a_repeated_attempt_is_the_frame_that_stands_for_the_stretch() -> None:
    from xcon_teach.draw import storyboard

    trace = simulate(load_scenario("kb-q169113"))
    frames = storyboard(trace)
    k = frame_of(trace, "EXCLUS->EXA", at=7200, kind="refuse") - 1
    assert frames[k].repeats > 0 and "more refused attempts on EXCLUS -> EXA" in (frames[k].caption or "")
