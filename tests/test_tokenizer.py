import pytest

from helpers.gpt.tokenizer import ArithmeticTokenizer, CharTokenizer, tokenizer_from_spec


def test_char_round_trip_and_specials():
    tok = CharTokenizer.from_texts(["I love machine learning"])
    ids = tok.encode("I love machine learning", bos=True, eos=True)
    assert ids[0] == tok.bos_id and ids[-1] == tok.eos_id and len(ids) == 25
    assert tok.decode(ids) == "I love machine learning"
    assert tok.decode(ids, skip_special=False) == "<bos>I love machine learning<eos>"
    assert {tok.pad_id, tok.bos_id, tok.eos_id} == {0, 1, 2}


def test_char_unknown_character_names_it_and_the_vocabulary():
    tok = CharTokenizer("abc ")
    with pytest.raises(ValueError, match=r"'z'.*' abc'"):
        tok.encode("a z")


def test_arithmetic_round_trip():
    tok = ArithmeticTokenizer(97)
    for text in ["12+5=17", "96/1=96", "0-3=94", "5="]:
        assert tok.decode(tok.encode(text, bos=True, eos=True)) == text
    assert len(tok.encode("12+5=17")) == 5  # one token per residue, operator and '='
    assert tok.vocab_size == 3 + 97 + 3 + 1


@pytest.mark.parametrize("bad, fragment", [("1*2=2", "'\\*'"), ("97+1=1", "'97'"), ("05+1=6", "'05'"),
                                           ("1 + 2", "' '")])
def test_arithmetic_errors_name_the_bad_piece(bad, fragment):
    with pytest.raises(ValueError, match=fragment):
        ArithmeticTokenizer(97).encode(bad)


def test_spec_rebuilds_identical_tokenizers():
    for tok in [CharTokenizer("hello world"), ArithmeticTokenizer(113)]:
        again = tokenizer_from_spec(tok.spec())
        assert again.itos == tok.itos
    with pytest.raises(ValueError, match="unknown tokenizer kind"):
        tokenizer_from_spec({"kind": "bpe"})
