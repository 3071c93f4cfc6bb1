"""Two tiny offline tokenizers: characters for the sanity string, one token per symbol for arithmetic.

Both share the special tokens PAD (id 0), BOS and EOS, and can be rebuilt from the small
`spec()` dict stored in every checkpoint, so inference needs nothing but the checkpoint.
"""
from __future__ import annotations

import re
from typing import Any

PAD, BOS, EOS = "<pad>", "<bos>", "<eos>"
SPECIALS = (PAD, BOS, EOS)


class Tokenizer:
    """Shared encode/decode logic; subclasses define `symbols` (the non-special vocabulary) and `split`."""

    symbols: list[str]
    joiner: str = ""
    framed: bool = True  # a sequence is BOS ... EOS; an unframed one is the bare tokens (its answer is one token)

    def __init__(self) -> None:
        self.itos: list[str] = list(SPECIALS) + list(self.symbols)
        self.stoi: dict[str, int] = {s: i for i, s in enumerate(self.itos)}
        self.pad_id, self.bos_id, self.eos_id = (self.stoi[s] for s in SPECIALS)

    @property
    def vocab_size(self) -> int:
        return len(self.itos)

    def split(self, text: str) -> list[str]:
        raise NotImplementedError

    def encode(self, text: str, bos: bool = False, eos: bool = False) -> list[int]:
        ids = [self.stoi[piece] for piece in self.split(text)]
        return ([self.bos_id] if bos else []) + ids + ([self.eos_id] if eos else [])

    def decode(self, ids: list[int], skip_special: bool = True) -> str:
        pieces = [self.itos[i] for i in ids]
        if skip_special:
            pieces = [p for p in pieces if p not in SPECIALS]
        return self.joiner.join(pieces)

    def spec(self) -> dict[str, Any]:
        raise NotImplementedError


class CharTokenizer(Tokenizer):
    """One token per character of a fixed alphabet (built from the training text)."""

    def __init__(self, chars: str) -> None:
        if not chars:
            raise ValueError("CharTokenizer needs a non-empty alphabet")
        self.symbols = sorted(set(chars))
        super().__init__()

    @classmethod
    def from_texts(cls, texts: list[str]) -> "CharTokenizer":
        return cls("".join(texts))

    def split(self, text: str) -> list[str]:
        for ch in text:
            if ch not in self.stoi:
                raise ValueError(
                    f"character {ch!r} is not in the tokenizer's vocabulary {''.join(self.symbols)!r}"
                )
        return list(text)

    def spec(self) -> dict[str, Any]:
        return {"kind": "char", "chars": "".join(self.symbols)}


class ArithmeticTokenizer(Tokenizer):
    """Tokens: each residue 0..p-1 (written without leading zeros), the operators + - /, and '='.

    The canonical text form has no spaces: "12+5=17".
    """

    OPERATORS = ("+", "-", "/")
    _piece = re.compile(r"\d+|[+\-/=]")

    def __init__(self, modulus: int, framed: bool = True) -> None:
        if modulus < 2:
            raise ValueError(f"modulus must be >= 2, got {modulus}")
        self.modulus = modulus
        self.framed = framed  # False: equations are read without BOS and EOS (TrainConfig.framing "paper")
        self.symbols = [str(r) for r in range(modulus)] + list(self.OPERATORS) + ["="]
        super().__init__()

    def split(self, text: str) -> list[str]:
        pieces, pos = [], 0
        while pos < len(text):
            match = self._piece.match(text, pos)
            if match is None:
                raise ValueError(
                    f"character {text[pos]!r} at position {pos} of {text!r} is not in the arithmetic "
                    f"vocabulary (residues 0..{self.modulus - 1}, operators {' '.join(self.OPERATORS)}, '=')"
                )
            piece = match.group()
            if piece not in self.stoi:
                raise ValueError(
                    f"number {piece!r} in {text!r} is not a residue token: allowed are 0..{self.modulus - 1} "
                    "without leading zeros"
                )
            pieces.append(piece)
            pos = match.end()
        return pieces

    def spec(self) -> dict[str, Any]:
        return {"kind": "arithmetic", "modulus": self.modulus} | ({} if self.framed else {"framed": False})


def tokenizer_from_spec(spec: dict[str, Any]) -> Tokenizer:
    """Rebuild a tokenizer from the dict its `spec()` returned (as stored in checkpoints)."""
    kind = spec.get("kind")
    if kind == "char":
        return CharTokenizer(spec["chars"])
    if kind == "arithmetic":
        return ArithmeticTokenizer(int(spec["modulus"]), framed=spec.get("framed", True))
    raise ValueError(f"unknown tokenizer kind {kind!r}; allowed: 'char', 'arithmetic'")
