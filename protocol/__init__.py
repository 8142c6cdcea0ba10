"""The ad-hoc mesh link protocol: frame formats (declared once with
``construct``), the codec, golden test vectors, pcap output and a Wireshark
dissector, and the CLI (``python -m protocol``)."""

from protocol.codec import decode, encode, from_dict, to_dict
from protocol.errors import FrameError

__all__ = ["FrameError", "decode", "encode", "from_dict", "to_dict"]
