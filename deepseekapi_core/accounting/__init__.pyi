# The public names of this package, one per line: type checkers read them here, and
# the package serves them lazily from this same list (see deepseekapi_core._lazy).

from ._in_process import InProcessLimiter as InProcessLimiter
from ._in_process import default_limiter as default_limiter
from ._preflight import ContextWindowExceededError as ContextWindowExceededError
from ._preflight import check_context_window as check_context_window
from ._price_defaults import DEEPSEEK_PRICES_SOURCE as DEEPSEEK_PRICES_SOURCE
from ._price_schedule import ModelPrice as ModelPrice
from ._price_schedule import PeakHours as PeakHours
from ._price_schedule import PricePeriod as PricePeriod
from ._price_schedule import PriceSchedule as PriceSchedule
from ._pricing import PRICES_ENV_VAR as PRICES_ENV_VAR
from ._pricing import CallCost as CallCost
from ._pricing import PriceTable as PriceTable
from ._pricing import call_cost as call_cost
from ._pricing import default_price_table as default_price_table
from ._pricing import resolve_price_table as resolve_price_table
from ._redis import RedisLimiter as RedisLimiter
from ._slots import ConcurrencyLimiter as ConcurrencyLimiter
from ._slots import LimiterUnavailableError as LimiterUnavailableError
from ._slots import concurrency_cap as concurrency_cap
from ._tokenizer import TOKENIZER_FILE_ENV_VAR as TOKENIZER_FILE_ENV_VAR
from ._tokenizer import DeepSeekTokenizer as DeepSeekTokenizer
from ._tokenizer import RenderedPrompt as RenderedPrompt
from ._tokenizer import TokenizerUnavailableError as TokenizerUnavailableError
from ._tokenizer import count_prompt_tokens as count_prompt_tokens
from ._tokenizer import get_tokenizer as get_tokenizer
from ._tokenizer import render_prompt as render_prompt
from ._tokenizer import tokenizer_available as tokenizer_available
from ._totals import UsageTotals as UsageTotals
