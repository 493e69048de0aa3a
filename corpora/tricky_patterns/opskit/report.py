"""Weekly report rendering."""

import matplotlib

matplotlib.use("Agg")  # no extra package needed for this backend


def weekly_report(out_path):
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    ax.plot([1, 2, 3], [3, 1, 2])
    fig.savefig(out_path)
    return out_path
