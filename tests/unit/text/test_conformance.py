"""X's weighted length against twitter-text's own conformance cases.

`measure("x", ...)` is counted by the twitter-text-parser package; these cases hold both the
package (every field of its answer, not only the length) and our public path through it to
twitter-text's v3 suite, and the package's counting configuration to the suite's v3.json.

The data lives outside the repository, in `<repo>/../shared/conformance/twitter-text/`
(validate.yml and v3.json): it is read in place, never copied, and these tests are skipped with
the reason when the folder is absent (a fresh clone has no `shared/` beside it).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml
from twitter_text import parse_tweet
from twitter_text.config import config as reference_config

from tests.paths import SHARED
from xensocial.text import DEFAULT_LIMITS, measure

DATA = SHARED / "conformance" / "twitter-text"
MISSING = f"{DATA} is absent (the shared folder is not checked out beside the repository)"
# The section that matches X's rules today (config v3), and the one on directional marks, whose
# cases are counted by the same config.
SECTIONS = ("WeightedTweetsWithDiscountedEmojiCounterTest", "UnicodeDirectionalMarkerCounterTest")


def _cases() -> list[Any]:
    if not (DATA / "validate.yml").is_file():
        return [pytest.param(None, marks=pytest.mark.skip(reason=MISSING), id="no-shared")]
    tests = yaml.safe_load((DATA / "validate.yml").read_text(encoding="utf-8"))["tests"]
    return [
        pytest.param(case, id=f"{section}: {case['description']}")
        for section in SECTIONS
        for case in tests[section]
    ]


@pytest.mark.parametrize("case", _cases())
def test_weighted_length_matches_twitter_text(case: dict[str, Any]) -> None:
    assert measure("x", case["text"]) == case["expected"]["weightedLength"]


@pytest.mark.parametrize("case", _cases())
def test_the_reference_package_passes_the_case_whole(case: dict[str, Any]) -> None:
    # Validity, permillage and the display and valid ranges too: evidence that the package we
    # count with is a faithful twitter-text, not only on the one field we read.
    assert parse_tweet(case["text"]).asdict() == case["expected"]


def test_the_emoji_section_is_all_there() -> None:
    if not (DATA / "validate.yml").is_file():
        pytest.skip(MISSING)
    tests = yaml.safe_load((DATA / "validate.yml").read_text(encoding="utf-8"))["tests"]
    # Guards against a parametrization that silently ran on an empty or renamed section.
    assert len(tests[SECTIONS[0]]) >= 20


def test_counting_rules_are_the_v3_config() -> None:
    if not (DATA / "v3.json").is_file():
        pytest.skip(MISSING)
    config = json.loads((DATA / "v3.json").read_text(encoding="utf-8"))
    assert config["version"] == 3
    assert DEFAULT_LIMITS["x"] == config["maxWeightedTweetLength"]
    # The configuration parse_tweet counts with when given none (measure gives none).
    used = reference_config["defaults"]
    assert used == {
        "version": config["version"],
        "max_weighted_tweet_length": config["maxWeightedTweetLength"],
        "scale": config["scale"],
        "default_weight": config["defaultWeight"],
        "emoji_parsing_enabled": config["emojiParsingEnabled"],
        "transformed_url_length": config["transformedURLLength"],
        "ranges": config["ranges"],
    }
