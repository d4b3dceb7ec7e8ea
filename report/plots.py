"""The report's plots: one gnuplot script (plots/plots.gp, kept beside them) draws every plot as
an SVG file in the report folder; one gnuplot process for all of them."""

import os
import shutil
import subprocess


def quote(text):
    """A gnuplot single-quoted string: no escapes inside, a quote is doubled."""
    return "'" + str(text).replace("'", "''") + "'"


def number(value):
    return repr(float(value)) if isinstance(value, float) else str(int(value))


class Plots:
    """Collects plots, then draws them all with render()."""

    def __init__(self, out_dir):
        self.out_dir = out_dir
        self.lines = []
        self.count = 0

    def line(self, name, title, xlabel, ylabel, series, goal=None, xtics=None, size=(540, 290)):
        """A line plot: series is [(label, [(x, y), ...])], goal an optional (y, label) drawn as
        a dashed line, xtics optional [(label, x)] for runs or commits along x. Returns the SVG's
        path relative to the report folder, or None when there is no point to draw."""
        series = [(label, pts) for label, pts in series if pts]
        if not series:
            return None
        self.count += 1
        path = f"plots/{name}.svg"
        out = self.lines
        out.append("reset")
        out.append(f"set terminal svg size {size[0]},{size[1]} font 'DejaVu Sans,10' "
                   "background rgb 'white'")
        out.append(f"set output {quote(path)}")
        out.append(f"set title {quote(title)} noenhanced")
        out.append(f"set xlabel {quote(xlabel)} noenhanced")
        out.append(f"set ylabel {quote(ylabel)} noenhanced")
        out.append("set key below left horizontal noenhanced")
        out.append("set grid lc rgb '#dddddd'")
        out.append("set border lc rgb '#666666'")
        out.append("set offsets graph 0.02, graph 0.02, graph 0.08, graph 0.08")
        biggest = max([abs(y) for _, pts in series for _, y in pts] +
                      ([abs(goal[0])] if goal is not None else []))
        out.append("set format y '%.0f'" if biggest >= 1000 else "set format y '%g'")
        if xtics:
            step = max(1, len(xtics) // 12)  # at most a dozen labels along x
            shown = ", ".join(f"{quote(label)} {number(x)}" for label, x in xtics[::step])
            out.append(f"set xtics ({shown}) rotate by -35 noenhanced font ',8'")
        blocks = []
        for i, (label, pts) in enumerate(series):
            block = f"$d{self.count}_{i}"
            out.append(f"{block} << EOD")
            out.extend(f"{number(x)} {number(y)}" for x, y in pts)
            out.append("EOD")
            blocks.append(f"{block} using 1:2 with linespoints pt 7 ps 0.45 lw 1.5 "
                          f"title {quote(label)}")
        if goal is not None:
            blocks.append(f"{number(goal[0])} with lines dt 2 lw 1.5 lc rgb '#c0392b' "
                          f"title {quote(goal[1])}")
        out.append("plot " + ", \\\n     ".join(blocks))
        out.append("unset output")
        return path

    def render(self):
        """Draws every plot; RuntimeError with gnuplot's own words when it fails."""
        plots = os.path.join(self.out_dir, "plots")
        shutil.rmtree(plots, ignore_errors=True)
        os.makedirs(plots)
        script = os.path.join(plots, "plots.gp")
        with open(script, "w", encoding="utf-8") as f:
            f.write("# the report's plots, drawn by report/plots.py: gnuplot plots/plots.gp\n")
            f.write("\n".join(self.lines) + "\n")
        if not self.count:
            return
        gnuplot = shutil.which("gnuplot")
        if gnuplot is None:
            raise RuntimeError("gnuplot is missing (Debian package gnuplot-nox): "
                               "bash tools/deps.sh report installs it")
        out = subprocess.run([gnuplot, "plots/plots.gp"], cwd=self.out_dir, capture_output=True,
                             text=True, check=False, timeout=300)
        if out.returncode != 0:
            raise RuntimeError(f"gnuplot failed on {script}: {out.stderr.strip()[-600:]}")
