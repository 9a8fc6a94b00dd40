"""The report's charts, drawn by matplotlib and embedded in the page as SVG data URIs (the page
loads nothing from elsewhere). Each function returns the `src` of an <img>."""

from __future__ import annotations

import base64
import io
from datetime import date
from typing import Dict, List, Sequence, Tuple

import matplotlib

matplotlib.use("Agg")  # no display on a server; must come before pyplot
import matplotlib.dates as mdates  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402

# Colours with enough contrast on white, told apart without colour too (labels, legends).
BLUE, ORANGE, GREEN, RED, GREY = "#1f5fa8", "#b35900", "#2e7d32", "#b3261e", "#555555"
TOPIC_COLOURS = ["#1f5fa8", "#b35900", "#2e7d32", "#6a3d9a", "#b3261e", "#00695c", "#555555"]
BAR_HEIGHT_INCHES = 0.28
WIDTH_INCHES = 8

plt.rcParams.update(
    {
        "font.size": 10,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "svg.fonttype": "path",
        "svg.hashsalt": "report",
    }
)


def data_uri(figure) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    plt.close(figure)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def tall_figure(bars: int):
    return plt.subplots(figsize=(WIDTH_INCHES, max(2.0, 0.8 + bars * BAR_HEIGHT_INCHES)))


def horizontal_scores(scores: Dict[str, float], title: str, colours: Sequence[str] = ()) -> str:
    """One bar per label, scores between 0 and 1, the first label on top."""
    labels = list(scores)
    figure, axes = tall_figure(len(labels))
    positions = range(len(labels))
    axes.barh(positions, list(scores.values()), color=list(colours) or BLUE)
    axes.set_yticks(list(positions), labels)
    axes.invert_yaxis()
    axes.set_xlim(0, 1)
    axes.set_xlabel("F1 (1 = parfait)")
    axes.set_title(title)
    for position, value in zip(positions, scores.values()):
        # Inside the bar (white) when it is long, after it otherwise: never over the bar's edge.
        inside = value > 0.5
        axes.text(
            value - 0.01 if inside else value + 0.01,
            position,
            f"{value:.2f}",
            va="center",
            fontsize=8,
            ha="right" if inside else "left",
            color="white" if inside else "black",
        )
    return data_uri(figure)


def intent_f1_chart(intent_f1: Dict[str, float]) -> str:
    return horizontal_scores(intent_f1, "F1 par intention")


def faq_f1_chart(by_topic: Dict[str, Dict[str, float]]) -> str:
    scores, colours = {}, []
    for number, (topic, answers) in enumerate(by_topic.items()):
        for answer, value in answers.items():
            scores[f"{topic}/{answer}"] = value
            colours.append(TOPIC_COLOURS[number % len(TOPIC_COLOURS)])
    return horizontal_scores(scores, "F1 par réponse FAQ (couleur : thème)", colours)


def confusion_chart(labels: List[str], matrix: List[List[int]]) -> str:
    size = max(4.0, 1.5 + len(labels) * 0.32)
    figure, axes = plt.subplots(figsize=(size, size))
    axes.imshow(matrix, cmap="Blues")
    axes.set_xticks(range(len(labels)), labels, rotation=90)
    axes.set_yticks(range(len(labels)), labels)
    axes.set_xlabel("intention prédite")
    axes.set_ylabel("intention attendue")
    axes.set_title("Matrice de confusion des intentions")
    peak = max((max(row) for row in matrix), default=0)
    for row, counts in enumerate(matrix):
        for column, count in enumerate(counts):
            if count:
                axes.text(
                    column,
                    row,
                    str(count),
                    ha="center",
                    va="center",
                    fontsize=7,
                    color="white" if count > peak / 2 else "black",
                )
    return data_uri(figure)


def activity_chart(days: List[date], messages: List[int], conversations: List[int]) -> str:
    figure, axes = plt.subplots(figsize=(WIDTH_INCHES, 3.2))
    axes.bar(days, messages, color=BLUE, label="messages")
    axes.plot(days, conversations, color=ORANGE, marker="o", markersize=3, label="conversations")
    axes.set_title("Conversations et messages par jour", pad=30)
    by_day(figure, axes)
    return data_uri(figure)


def by_day(figure, axes) -> None:
    """Day labels as French read them (02/12), legend above the plot, clear of the data."""
    axes.xaxis.set_major_formatter(mdates.DateFormatter("%d/%m"))
    axes.legend(frameon=False, loc="lower left", bbox_to_anchor=(0, 1.02), ncol=2)
    figure.autofmt_xdate()


def counts_chart(counts: List[Tuple[str, int]], title: str) -> str:
    labels = [label for label, _ in counts]
    figure, axes = tall_figure(len(labels))
    positions = range(len(labels))
    axes.barh(positions, [count for _, count in counts], color=BLUE)
    axes.set_yticks(list(positions), labels)
    axes.invert_yaxis()
    axes.set_xlabel("messages")
    axes.set_title(title)
    return data_uri(figure)


def fallback_chart(days: List[date], daily_rates: List[float], weeks: List[date], weekly_rates: List[float]) -> str:
    figure, axes = plt.subplots(figsize=(WIDTH_INCHES, 3.2))
    axes.plot(
        days, [100 * rate for rate in daily_rates], color=GREY, marker="o", markersize=3, linewidth=1, label="par jour"
    )
    # The last week's level is drawn up to the last day shown.
    axes.step(
        weeks + days[-1:],
        [100 * rate for rate in weekly_rates + weekly_rates[-1:]],
        where="post",
        color=RED,
        linewidth=2,
        label="par semaine",
    )
    axes.set_ylabel("% de messages non compris")
    axes.set_ylim(bottom=0)
    axes.set_title("Taux de messages non compris", pad=30)
    by_day(figure, axes)
    return data_uri(figure)


def feedback_chart(ratings: List[Tuple[str, int, int]]) -> str:
    """Stacked bars per answer: thumbs up (green), thumbs down (red)."""
    labels = [answer for answer, _, _ in ratings]
    ups = [up for _, up, _ in ratings]
    downs = [down for _, _, down in ratings]
    figure, axes = tall_figure(len(labels))
    positions = list(range(len(labels)))
    axes.barh(positions, ups, color=GREEN, label="pouce levé")
    axes.barh(positions, downs, left=ups, color=RED, label="pouce baissé", hatch="//")
    axes.set_yticks(positions, labels)
    axes.invert_yaxis()
    axes.set_xlabel("avis")
    axes.set_title("Avis par réponse")
    axes.legend(frameon=False, loc="lower right")
    return data_uri(figure)
