"""The guard an adapter uses to name the extra that brings its framework."""

from __future__ import annotations

import pytest

from deepseekapi_core._extras import install_command, require_module


def test_install_command_names_the_extra() -> None:
    assert install_command("langchain") == 'pip install "deepseekapi-integrations[langchain]"'


def test_a_present_module_passes() -> None:
    require_module("json", needed_by="x", distribution="json", extra="none")


def test_a_missing_module_names_the_distribution_and_the_extra() -> None:
    with pytest.raises(ImportError) as caught:
        require_module(
            "surely_not_installed_module",
            needed_by="my_adapter",
            distribution="some-framework",
            extra="some-extra",
        )
    assert str(caught.value) == (
        'my_adapter needs some-framework: pip install "deepseekapi-integrations[some-extra]"'
    )
    assert isinstance(caught.value.__cause__, ModuleNotFoundError)
