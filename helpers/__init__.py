"""helpers: the code behind the notebooks. gpt/ is Part 0-1 (a small GPT, its training and analysis), tts/ is
Part 2 (test-time scaling), report/ builds the report; common.py is what they share."""
__version__ = "0.1.0"
