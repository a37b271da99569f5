# The public names of this package, one per line: type checkers read them here, and
# the package serves them lazily from this same list (see deepseekapi_core._lazy).

from ..wire._builtin_tools import read_url as read_url
from ..wire._builtin_tools import web_search as web_search
from ._calls import ParsedToolCall as ParsedToolCall
from ._calls import ToolCallBuilder as ToolCallBuilder
from ._calls import parse_partial_arguments as parse_partial_arguments
from ._calls import parse_tool_arguments as parse_tool_arguments
from ._calls import parse_tool_calls as parse_tool_calls
from ._recovery import RecoveredToolCalls as RecoveredToolCalls
from ._recovery import recover_tool_calls as recover_tool_calls
from ._specs import forced_tool_choice_allowed as forced_tool_choice_allowed
from ._specs import resolve_tool_choice as resolve_tool_choice
from ._specs import tool_spec_from as tool_spec_from
from ._specs import tool_specs_from as tool_specs_from
from ._strict import strict_schema as strict_schema
from ._strict import strict_tool as strict_tool
from ._structured import parse_json_reply as parse_json_reply
