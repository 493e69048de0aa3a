from collections import defaultdict


def daily_means(rows):
    import numpy as np

    by_day = defaultdict(list)
    for observed_at, temp in rows:
        by_day[observed_at[:10]].append(temp)
    return {day: float(np.mean(values)) for day, values in sorted(by_day.items())}
