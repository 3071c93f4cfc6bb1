"""Test doubles: a scripted engine that replays fixed token scripts, for exact tests of the budget-forcing
bookkeeping (no model, deterministic)."""
from __future__ import annotations

from collections.abc import Sequence

from helpers.tts.engines import Continuation, Request


class ScriptedEngine:
    """A fake model for exact tests of the budget-forcing bookkeeping.

    Each prompt starts with a key token. In the thinking phase the fake writes `chunks[key][k]` after the
    k-th injected Wait (k = 0 before any), then tries to close thinking with `close` (the end tag; a chunk
    that ends with EOS closes with EOS instead); after its last chunk it tries to close at once. Once the
    prompt ends with `answer_marker` it writes `answers[key]` and EOS. Sampling and seeds are ignored (it is
    deterministic, like greedy decoding). `generated` counts every token it produced.
    """

    name = "scripted"

    def __init__(self, chunks: dict[int, list[list[int]]], answers: dict[int, list[int]], close: Sequence[int],
                 wait: Sequence[int], answer_marker: Sequence[int], eos: int) -> None:
        self.chunks, self.answers = chunks, answers
        self.close, self.wait, self.marker, self.eos = list(close), list(wait), list(answer_marker), eos
        self.generated = 0
        self.requests: list[Request] = []

    def _planned(self, prompt: list[int]) -> tuple[list[int], int]:
        """(what the fake writes in this phase, how much of it the prompt already holds)."""
        key, body = prompt[0], prompt[1:]
        if len(body) >= len(self.marker) and body[-len(self.marker):] == self.marker:
            return self.answers[key] + [self.eos], 0
        w = len(self.wait)
        starts = [i for i in range(len(body) - w + 1) if body[i:i + w] == self.wait]
        k = len(starts)
        tail = body[starts[-1] + w:] if starts else body
        chunks = self.chunks[key]
        chunk = chunks[k] if k < len(chunks) else []
        plan = chunk if chunk[-1:] == [self.eos] else chunk + self.close
        return plan, len(tail)

    def continue_batch(self, requests, stop_ids, sampling):
        out = []
        for req in requests:
            self.requests.append(req)
            plan, done = self._planned(list(req.prompt_ids))
            new, finish = [], "length"
            for token in plan[done:]:
                if len(new) == req.max_tokens:
                    break
                new.append(token)
                if token in stop_ids:
                    finish = "stop"
                    break
            else:
                if len(new) < req.max_tokens:  # the plan ran out: nothing more to say
                    finish = "stop"
            self.generated += len(new)
            out.append(Continuation(new, finish))
        return out
