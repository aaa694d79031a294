"""LinkedIn organization pages: the adapter and its parts, one idea a module.

- `adapter`: `LinkedInAdapter`, the interface (its docstring is the configuration reference);
- `api`: LinkedIn's versioned REST API over httpx, and its errors as ours (426 included);
- `comments`: a thread's replies, as comments on its post (the Comments API);
- `cards`: the article card of a link post, with its thumbnail uploaded through the Images API;
- `tokens`: access tokens renewed with a refresh token, or warned about before they end;
- `little_text`: the commentary, escaped in LinkedIn's "little text" format.

Registered as `xensocial.adapters.linkedin:LinkedInAdapter`. Importing it imports no network
library: httpx is imported on the first call (`.._lazy`).
"""

from .adapter import DEFAULT_API_VERSION, LinkedInAdapter
from .api import API_URL
from .little_text import little_text
from .tokens import OAUTH_URL

__all__ = ["API_URL", "DEFAULT_API_VERSION", "OAUTH_URL", "LinkedInAdapter", "little_text"]
