# The public names of this package, one per line: type checkers read them here, and
# the package serves them lazily from this same list (see deepseekapi_core._lazy).

from ..wire._registry import Era as Era
from ._app import Emulator as Emulator
from ._faults import LEAK_SHAPES as LEAK_SHAPES
from ._faults import FaultKind as FaultKind
from ._faults import FaultRule as FaultRule
from ._faults import Faults as Faults
from ._faults import FaultStage as FaultStage
from ._in_flight import InFlight as InFlight
from ._script import Script as Script
from ._script import ScriptedError as ScriptedError
from ._script import ScriptedReply as ScriptedReply
from ._script import ScriptedServerCall as ScriptedServerCall
from ._script import ScriptedToolCall as ScriptedToolCall
from ._server import EmulatorServer as EmulatorServer
from ._transport import EmulatorTransport as EmulatorTransport
from ._vision import ImageServer as ImageServer
from ._wire import EmulatedResponse as EmulatedResponse
from ._wire import RecordedRequest as RecordedRequest
