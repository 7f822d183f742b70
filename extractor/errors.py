"""One small tree of failures. Every error this tool reports is an `ExtractorError`, and its
message is a reason a person can act on (which file, page or setting, and what to do).

    ExtractorError
    ├── ConfigError        a configuration file or value that is wrong
    ├── ReadError          a PDF that cannot be read (broken, encrypted, no pages): that document fails
    ├── OcrUnavailable     the OCR engine is not installed
    ├── ModelError         a local model that is missing or does not verify
    ├── ServerError        the embedded model server did not start or answer
    ├── PromptError        a prompt template that is missing or malformed
    ├── LLMError           no valid answer for a chunk: that chunk fails (the document is partial)
    │   └── EndpointDown   the endpoint failed on transport chunk after chunk: asked nothing more
    ├── BudgetExceeded     the run's token budget cannot cover a call: the chunk is left pending
    ├── ExecutorError      a run that cannot start as asked (Ray not installed)
    ├── RunError           an eval run folder or stored run that does not exist
    └── SuiteError         an eval suite file that is wrong

Each is defined beside the code that raises it; this module holds the root.
"""

from __future__ import annotations


class ExtractorError(Exception):
    """The root of every failure this tool reports."""
