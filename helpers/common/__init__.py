"""The bottom layer: what every other package shares and nothing of the science.

Paths and atomic writes (`io`), content hashes (`ids`), dict → dataclass validation with the unknown-key message
(`checks`), how a process runs (threads, progress bars, seeding, the allocator: `runtime`) and what machine
produced a result (`provenance`). It imports only the standard library and PyYAML (torch inside the functions that need it);
every other package may import it, it imports none of them.
"""
