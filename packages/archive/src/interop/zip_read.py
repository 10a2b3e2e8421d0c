"""Reads a zip with Python's zipfile (`python3 zip_read.py <zip>`) and prints
one JSON line per entry: name bytes (hex, from the UTF-8 flag or cp437),
size, SHA-256 of the data, the mode from the external attributes and the
DOS date_time, which is all the time zipfile reads."""
import hashlib
import json
import sys
import zipfile

with zipfile.ZipFile(sys.argv[1]) as zf:
    for info in zf.infolist():
        encoding = "utf-8" if info.flag_bits & 0x800 else "cp437"
        data = zf.read(info)
        print(json.dumps({
            "name": info.filename.encode(encoding).hex(),
            "size": len(data),
            "sha256": hashlib.sha256(data).hexdigest(),
            "mode": info.external_attr >> 16,
            "dateTime": list(info.date_time),
        }))
