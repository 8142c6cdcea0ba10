"""Build the SoC's C firmware images: ``python -m rtl_verif.soc.firmware``.

Sources are in ``firmware_models/c/`` (runtime: crt0.S, link.ld, console;
lib: software CORDIC, angle update, CCM*; drivers; programs). Headers with
cross-boundary constants are generated first into the build folder, each
from its one source: ``soc_map.h`` (:mod:`rtl_verif.soc.memory_map`),
``angle_params.h`` / ``angle_samples.h`` (:mod:`rtl_verif.soc.golden_sensor`)
and ``cordic_hw.h`` (the CORDIC block's build parameters). The blocks'
register headers are the generated ones under ``firmware_models/c/include``.

Each program links to ``build/firmware/<variant>/<program>.elf`` and becomes
``<program>.hex``: the whole RAM, one 32-bit little-endian word per line, as
``soc_ram.sv`` loads it with $readmemh. ``manifest.json`` records the sizes
(text, data, bss in bytes, from ``size``). A build is skipped while a stamp
of its inputs (sources, generated headers, flags, compiler) is unchanged.

Variants build the same sources with extra defines; ``broken_*`` variants
are deliberately wrong drivers that the tests must catch.
"""

import argparse
import hashlib
import json
import subprocess
import sys
from pathlib import Path
from typing import NamedTuple

from rtl_verif.soc import golden_sensor, memory_map, toolchain

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "firmware_models" / "c"
OUT = ROOT / "build" / "firmware"
RUNTIME = ("runtime/crt0.S", "runtime/soc.c", "runtime/console.c")
CFLAGS = ("-O2", "-g", "-Wall", "-Wextra", "-Werror", "-std=c11", "-ffunction-sections", "-fdata-sections",
          "-nostartfiles", "-Wl,--gc-sections")
SENSOR_SAMPLES = 400  # recorded at the 20 kHz host rate: 6 revolutions at 3000 rpm
SENSOR_SEED = 14  # the recording's noise seed (fixed: the samples are compiled in)


class Program(NamedTuple):
    name: str
    sources: tuple  # under firmware_models/c, besides the runtime
    what: str


PROGRAMS = {p.name: p for p in (
    Program("buserr", ("programs/buserr.c",), "unmapped read and write answer DECERR and set the bus-error latch"),
    Program("sm4", ("programs/sm4.c", "drivers/sm4_drv.c", "lib/ccm_star.c"),
            "SM4 blocks (GB/T 32907 example 1, random) and CCM* frames on the SM4 engine"),
    Program("sensor", ("programs/sensor.c", "lib/angle_update.c"),
            "angle chain per-sample update (calibration, CORDIC, observer, delay compensation) on the CPU"),
)}

VARIANTS = {
    "default": (),
    "broken_sm4": ("-DSOC_BROKEN_SM4_BYTE_ORDER",),  # the SM4 driver packs words little-endian
}


class Image(NamedTuple):
    program: str
    elf: Path
    hex: Path
    text: int
    data: int
    bss: int


class BuildError(RuntimeError):
    """A compile or link failed; the message carries the compiler's output."""


def generated_headers() -> dict:
    """File name → text of every generated header."""
    p = golden_sensor.params()
    s, c = golden_sensor.samples(SENSOR_SAMPLES, SENSOR_SEED)
    return {
        "soc_map.h": memory_map.c_header(),
        "angle_params.h": golden_sensor.c_header(p),
        "angle_samples.h": golden_sensor.samples_header(s, c),
    }


def _image_words(binary: bytes) -> str:
    """The RAM image as $readmemh text: every word of the RAM, word 0 first."""
    if len(binary) > memory_map.RAM_BYTES:
        raise BuildError(f"image of {len(binary)} bytes exceeds the {memory_map.RAM_BYTES}-byte RAM")
    padded = binary + bytes(memory_map.RAM_BYTES - len(binary))
    words = (int.from_bytes(padded[i:i + 4], "little") for i in range(0, len(padded), 4))
    return "".join(f"{w:08x}\n" for w in words)


def _sizes(tc: toolchain.Toolchain, elf: Path) -> tuple:
    out = subprocess.run([tc.size, str(elf)], capture_output=True, text=True, check=True).stdout
    text, data, bss = (int(v) for v in out.splitlines()[1].split()[:3])
    return text, data, bss


def _stamp(tc, flags, gen: dict) -> str:
    h = hashlib.sha256()
    for f in sorted(SRC.rglob("*")):
        if f.is_file() and f.suffix in (".c", ".h", ".S", ".ld"):
            h.update(str(f.relative_to(SRC)).encode())
            h.update(f.read_bytes())
    for name in sorted(gen):
        h.update(name.encode())
        h.update(gen[name].encode())
    version = subprocess.run([tc.gcc, "--version"], capture_output=True, text=True).stdout
    h.update(json.dumps([list(flags), version, sorted(PROGRAMS)]).encode())
    return h.hexdigest()


def out_dir(variant: str = "default") -> Path:
    return OUT / variant


def build(variant: str = "default", *, force: bool = False) -> dict:
    """Build every program of ``variant``; return {program: Image}."""
    if variant not in VARIANTS:
        raise BuildError(f"unknown firmware variant {variant!r}; choose from {', '.join(VARIANTS)}")
    tc = toolchain.find()
    dest = out_dir(variant)
    gen_dir = dest / "gen"
    gen_dir.mkdir(parents=True, exist_ok=True)
    gen = generated_headers()
    flags = (*toolchain.ARCH, *CFLAGS, f"--specs={tc.specs}", f"-T{SRC / 'runtime' / 'link.ld'}",
             f"-Wl,--defsym=__ram_size={memory_map.RAM_BYTES}", *VARIANTS[variant])
    stamp = _stamp(tc, flags, gen)
    manifest = dest / "manifest.json"
    stamp_file = dest / ".stamp"
    if not force and stamp_file.exists() and stamp_file.read_text() == stamp and manifest.exists():
        return load(variant)
    for name, text in gen.items():
        (gen_dir / name).write_text(text)
    incs = [f"-I{d}" for d in (SRC / "runtime", SRC / "lib", SRC / "drivers", SRC / "include", gen_dir)]
    images = {}
    for prog in PROGRAMS.values():
        elf = dest / f"{prog.name}.elf"
        srcs = [str(SRC / s) for s in RUNTIME + prog.sources]
        cmd = [tc.gcc, *flags, *incs, *srcs, "-o", str(elf), f"-Wl,-Map={dest / (prog.name + '.map')}"]
        r = subprocess.run(cmd, capture_output=True, text=True)
        if r.returncode:
            raise BuildError(f"{prog.name} ({variant}) failed to build:\n{' '.join(cmd)}\n{r.stderr.strip()}")
        binary = dest / f"{prog.name}.bin"
        subprocess.run([tc.objcopy, "-O", "binary", str(elf), str(binary)], check=True)
        hex_file = dest / f"{prog.name}.hex"
        hex_file.write_text(_image_words(binary.read_bytes()))
        images[prog.name] = Image(prog.name, elf, hex_file, *_sizes(tc, elf))
    manifest.write_text(json.dumps({n: {"elf": str(i.elf), "hex": str(i.hex), "text": i.text, "data": i.data,
                                        "bss": i.bss} for n, i in images.items()}, indent=1))
    stamp_file.write_text(stamp)
    return images


def load(variant: str = "default") -> dict:
    """The images of an earlier :func:`build` ({program: Image})."""
    m = json.loads((out_dir(variant) / "manifest.json").read_text())
    return {n: Image(n, Path(v["elf"]), Path(v["hex"]), v["text"], v["data"], v["bss"]) for n, v in m.items()}


def size_table(images: dict) -> str:
    lines = ["| program | text | data | bss | what |", "|---|---:|---:|---:|---|"]
    for name, img in images.items():
        lines.append(f"| {name} | {img.text} | {img.data} | {img.bss} | {PROGRAMS[name].what} |")
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m rtl_verif.soc.firmware", description=__doc__.splitlines()[0])
    ap.add_argument("--variant", default="default", choices=sorted(VARIANTS))
    ap.add_argument("--force", action="store_true", help="rebuild even if nothing changed")
    a = ap.parse_args(argv)
    try:
        images = build(a.variant, force=a.force)
    except (toolchain.ToolchainError, BuildError) as exc:
        print(exc, file=sys.stderr)
        return 2
    print(f"firmware images in {out_dir(a.variant)} (sizes in bytes):")
    print(size_table(images))
    return 0


if __name__ == "__main__":
    sys.exit(main())
