"""Few-shot stylisation on our data (issue 7, the paper's Table 2): time and quality, zeroconv vs finetune.

Styles:
- ``salsa``: three held-out CMU salsa takes (test split: 25, 26, 27; first ``--seconds`` s each) rendered as
  videos by the mannequin renderer under the demo's moving camera (silent: soundtracks are built on their
  beats);
- ``twirl``: the real dance clip ../shared/data/videos/davis/dance-twirl.mp4 (one video, silent).

For each style, ``vimo stylize`` runs once per method (the motions are built once and shared); the wall time
of each is printed (goal: a style from 2-3 videos in under 45 minutes on this CPU). Then ``vimo eval
stylization`` writes Table 2 to ``--out``.

    .venv/bin/python bench/bench_stylize.py [--base weights/dance-small] [--steps 300] [--out reports/stylization]
    .venv/bin/python bench/bench_stylize.py --styles salsa --methods zeroconv --seconds 60 --no-eval --work runs/s60
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

SHARED = Path(__file__).resolve().parents[2] / "shared"
SALSA = [SHARED / f"data/mocap/cmu/acrnn_dance/salsa/{k}.bvh.gz" for k in ("25", "26", "27")]
TWIRL = SHARED / "data/videos/davis/dance-twirl.mp4"
GOAL_S = 45 * 60  # issue 7: a style from 2-3 videos in under 45 minutes on this CPU


def render_salsa(folder: Path, seconds: float) -> list[Path]:
    from vimo.data.markers import motion_markers
    from vimo.data.mocap import load_motion
    from vimo.demo import demo_camera
    from vimo.viz.video import render_video

    folder.mkdir(parents=True, exist_ok=True)
    videos = []
    for k, take in enumerate(SALSA):
        path = folder / f"salsa_{take.name.split('.')[0]}_{seconds:g}s.mp4"
        if not path.exists():
            motion = load_motion(take)[: int(seconds * 30)]
            render_video(motion, demo_camera(motion_markers(motion), seed=k), path, fps=30)
        videos.append(path)
    return videos


def main() -> None:
    from vimo.apps.stylize import StylizeConfig, stylize
    from vimo.dance import DanceModel
    from vimo.data.dataset import WindowCache
    from vimo.eval.stylization import StyleSet, evaluate_style, markdown, write
    from vimo.training.dance import Pairs, training_joints

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--base", type=Path, default=Path("weights/dance-small"))
    ap.add_argument("--steps", type=int, default=300)
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--work", type=Path, default=Path("runs/stylize"))
    ap.add_argument("--out", type=Path, default=Path("reports/stylization"))
    ap.add_argument("--clips", type=int, default=96)
    ap.add_argument("--data", type=Path, default=Path("data/cache"))
    ap.add_argument("--pairs", type=Path, default=Path("data/dance_pairs7.safetensors"))
    ap.add_argument("--styles", default="salsa,twirl", help="comma-separated subset of salsa,twirl")
    ap.add_argument("--methods", default="zeroconv,finetune")
    ap.add_argument("--no-eval", action="store_true", help="time the stylisations only (no Table 2)")
    args = ap.parse_args()
    if not SALSA[0].exists() or not TWIRL.exists():
        raise SystemExit(f"needs ../shared ({SALSA[0]}, {TWIRL})")
    wanted = args.styles.split(",")
    styles = {"salsa": (lambda: render_salsa(args.work / "videos", args.seconds)), "twirl": (lambda: [TWIRL])}
    styles = {name: make() for name, make in styles.items() if name in wanted}
    sets = []
    for name, videos in styles.items():
        models, build_s = {}, 0.0
        for method in args.methods.split(","):
            out = args.work / f"{name}-{method}"
            t0 = time.perf_counter()
            report = stylize(videos, out, base=args.base, config=StylizeConfig(method=method, steps=args.steps),
                             dataset_dir=args.work / f"{name}-dataset")  # fmt: skip
            wall = time.perf_counter() - t0
            # the motions are built once per style (the first method); a stand-alone run builds them too
            build_s = max(build_s, report.seconds["dataset_s"])
            alone = wall - report.seconds["dataset_s"] + build_s
            print(f"{name} {method}: {wall:.0f} s wall for {len(videos)} video(s) ({report.seconds}); "
                  f"{report.motions} motions, {report.pairs} pairs, final loss {report.final_loss:.3f}; "
                  f"stand-alone {alone:.0f} s = {alone / GOAL_S:.2f} of the 45-minute goal", flush=True)  # fmt: skip
            models[method] = out / "style"
        sets.append(StyleSet(name, next(iter(models.values())).parent / "pairs.safetensors", models))
    if args.no_eval:
        return
    base = DanceModel.load(args.base)
    cache, pairs = WindowCache.load(args.data), Pairs.load(args.pairs)
    reference = training_joints(cache, pairs)
    report = {s.name: evaluate_style(s, base, reference, clips=args.clips) for s in sets}
    write(report, args.out)
    print(markdown(report))
    for s in sets:
        r = report[s.name]
        for m in ("base", *s.models):
            low, high = r[m]["ba_gain_ci95"]
            print(f"{s.name} {m}: BA own - shuffled = {r[m]['ba_gain']:+.3f} (95 % CI {low:+.3f}, {high:+.3f})")


if __name__ == "__main__":
    main()
