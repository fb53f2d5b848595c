"""Go's validators whose error texts Nomad's API passes on to clients.

* :func:`parse_uuid` - hashicorp/go-uuid ``ParseUUID``;
* :func:`parse_addr_port` - net/netip ``ParseAddrPort`` (IPv4 messages exactly; IPv6 is checked with
  Python's ``ipaddress`` and reported with netip's generic message);
* :func:`parse_bool` - strconv ``ParseBool``;
* :func:`quote` - strconv ``Quote``.
"""

from __future__ import annotations

import ipaddress


def quote(s: str) -> str:
    """strconv.Quote: a double-quoted Go string literal."""
    out = ['"']
    for c in s:
        code = ord(c)
        if c in '"\\':
            out.append("\\" + c)
        elif c == "\a":
            out.append("\\a")
        elif c == "\b":
            out.append("\\b")
        elif c == "\f":
            out.append("\\f")
        elif c == "\n":
            out.append("\\n")
        elif c == "\r":
            out.append("\\r")
        elif c == "\t":
            out.append("\\t")
        elif c == "\v":
            out.append("\\v")
        elif c.isprintable() or c == " ":
            out.append(c)
        elif code < 0x80:
            out.append(f"\\x{code:02x}")
        elif code < 0x10000:
            out.append(f"\\u{code:04x}")
        else:
            out.append(f"\\U{code:08x}")
    out.append('"')
    return "".join(out)


def parse_bool(s: str) -> bool:
    """strconv.ParseBool; ValueError for anything else."""
    if s in ("1", "t", "T", "TRUE", "true", "True"):
        return True
    if s in ("0", "f", "F", "FALSE", "false", "False"):
        return False
    raise ValueError(f"strconv.ParseBool: parsing {quote(s)}: invalid syntax")


def _hex_rune(b: int) -> str:
    """%#U of one byte: U+0067 'g' (the character only when printable)."""
    c = chr(b)
    return f"U+{b:04X} '{c}'" if c.isprintable() else f"U+{b:04X}"


def parse_uuid(s: str) -> bytes:
    """go-uuid ParseUUID; ValueError with its message."""
    raw = s.encode()
    if len(raw) != 36:
        raise ValueError("uuid string is wrong length")
    if raw[8] != 0x2D or raw[13] != 0x2D or raw[18] != 0x2D or raw[23] != 0x2D:
        raise ValueError("uuid is improperly formatted")
    hex_str = raw[0:8] + raw[9:13] + raw[14:18] + raw[19:23] + raw[24:36]
    for b in hex_str:
        if chr(b) not in "0123456789abcdefABCDEF":
            raise ValueError(f"encoding/hex: invalid byte: {_hex_rune(b)}")
    return bytes.fromhex(hex_str.decode())


class _AddrError(ValueError):
    def __init__(self, text: str, msg: str, at: str = ""):
        detail = f"ParseAddr({quote(text)}): {msg}"
        if at:
            detail += f" (at {quote(at)})"
        super().__init__(detail)


def _parse_ipv4(text: str) -> None:
    val = pos = dig_len = 0
    for i, c in enumerate(text):
        if "0" <= c <= "9":
            if dig_len == 1 and val == 0:
                raise _AddrError(text, "IPv4 field has octet with leading zero")
            val = val * 10 + int(c)
            dig_len += 1
            if val > 255:
                raise _AddrError(text, "IPv4 field has value >255")
        elif c == ".":
            if i == 0 or i == len(text) - 1 or text[i - 1] == ".":
                raise _AddrError(text, "IPv4 field must have at least one digit", text[i:])
            if pos == 3:
                raise _AddrError(text, "IPv4 address too long")
            pos += 1
            val = dig_len = 0
        else:
            raise _AddrError(text, "unexpected character", text[i:])
    if pos < 3:
        raise _AddrError(text, "IPv4 address too short")


def _parse_addr(text: str) -> int:
    """netip.ParseAddr; returns 4 or 6."""
    for c in text:
        if c == ".":
            _parse_ipv4(text)
            return 4
        if c == ":":
            addr = text.split("%", 1)[0]
            try:
                ipaddress.IPv6Address(addr)
            except ValueError:
                raise _AddrError(text, "unable to parse IP") from None
            return 6  # netip keeps an IPv4-mapped address as IPv6 too, so it needs brackets
        if c == "%":
            raise _AddrError(text, "missing IPv6 address")
    raise _AddrError(text, "unable to parse IP")


def parse_addr_port(s: str) -> tuple[str, int]:
    """netip.ParseAddrPort: ``ip:port`` or ``[ipv6]:port``; ValueError with netip's message."""
    i = s.rfind(":")
    if i == -1:
        raise ValueError("not an ip:port")
    ip, port = s[:i], s[i + 1 :]
    if not ip:
        raise ValueError("no IP")
    if not port:
        raise ValueError("no port")
    v6 = False
    if ip[0] == "[":
        if len(ip) < 2 or ip[-1] != "]":
            raise ValueError("missing ]")
        ip = ip[1:-1]
        v6 = True
    if not port.isascii() or not port.isdigit() or int(port) > 65535:
        raise ValueError(f"invalid port {quote(port)} parsing {quote(s)}")
    family = _parse_addr(ip)
    if v6 and family == 4:
        raise ValueError(f"invalid ip:port {quote(s)}, square brackets can only be used with IPv6 addresses")
    if not v6 and family == 6:
        raise ValueError(f"invalid ip:port {quote(s)}, IPv6 addresses must be surrounded by square brackets")
    return ip, int(port)
