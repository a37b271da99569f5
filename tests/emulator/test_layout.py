"""The emulator's extension points: every era has its rules, every accepted part its check."""

from __future__ import annotations

import re

import pytest

from deepseekapi_core.testing import (
    Emulator,
    FaultKind,
    FaultRule,
    Faults,
    FaultStage,
    Script,
    ScriptedReply,
)
from deepseekapi_core.testing._checks.eras import ERA_RULES
from deepseekapi_core.testing._checks.shape import CONTENT_PART_CHECKS
from deepseekapi_core.wire._registry import Era


@pytest.mark.parametrize("era", list(Era))
def test_every_era_has_rules_and_every_accepted_part_a_check(era: Era) -> None:
    rules = ERA_RULES[era]
    # "fp_<hash>_prod..." until mid-2026, a bare 32-hex hash since August 2026 (reference 1.4).
    assert re.fullmatch(r"fp_[0-9a-f]{10}_prod\w+|[0-9a-f]{32}", rules.fingerprint)
    assert "text" in rules.content_parts
    assert set(rules.content_parts) <= set(CONTENT_PART_CHECKS)
    assert Emulator(era=era).model_ids()


@pytest.mark.parametrize("kind", list(FaultKind))
def test_every_fault_kind_has_a_stage(kind: FaultKind) -> None:
    assert isinstance(FaultRule(kind).stage, FaultStage)


def test_take_applies_a_one_shot_rule_once_at_its_stage_only() -> None:
    faults = Faults()
    rule = faults.cut_stream(after_events=2)
    assert faults.take(FaultStage.GATEWAY, streaming=True) == []
    assert faults.take(FaultStage.WIRE, streaming=False) == []
    assert faults.take(FaultStage.WIRE, streaming=True) == [rule]
    assert faults.take(FaultStage.WIRE, streaming=True) == []
    assert rule.hits == 1 and faults.injected == 1 and len(faults) == 0


def test_only_one_answering_gateway_fault_applies_per_request() -> None:
    faults = Faults()
    first = faults.status(500)
    second = faults.status(503)
    latency = faults.latency(0.0)
    assert faults.take(FaultStage.GATEWAY, streaming=False) == [first]
    assert faults.take(FaultStage.GATEWAY, streaming=False) == [second]
    assert faults.take(FaultStage.GATEWAY, streaming=False) == [latency]


def test_script_take_hands_out_items_in_order_then_none() -> None:
    script = Script().reply_text("one").reply_text("two")
    first, second = script.take(), script.take()
    assert isinstance(first, ScriptedReply) and first.content == "one"
    assert isinstance(second, ScriptedReply) and second.content == "two"
    assert script.take() is None and len(script) == 0
