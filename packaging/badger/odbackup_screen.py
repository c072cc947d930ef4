# odbackup status screen for the Pimoroni Badger 2040 (296x128, 1 bit). odbackup sends this file followed by
# draw(json.loads("...")): the values arrive as a JSON literal, never as text pasted into Python source.
# Works with the old badger2040 API (pen, thickness, text(..., scale)) and the new one (set_pen, set_font).
import badger2040

WIDTH = 296
BLACK = 0
WHITE = 15


class Pen:
    def __init__(self, display):
        self.d = display
        self.new = hasattr(display, "set_pen")

    def pen(self, colour):
        if self.new:
            self.d.set_pen(colour)
        else:
            self.d.pen(colour)

    def font(self, name):
        if self.new:
            self.d.set_font(name)
        else:
            self.d.font(name)

    def text(self, text, x, y, scale):
        self.d.text(text, x, y, scale=scale)


def fit(text, scale):
    # at most 8 pixels per character at scale 1 (bitmap8 is narrower; the preview's 8x8 font is not)
    limit = (WIDTH - 8) // (8 * scale)
    return text if len(text) <= limit else text[: limit - 1] + "~"


def draw(status):
    display = badger2040.Badger2040()
    if hasattr(display, "set_update_speed"):
        display.set_update_speed(badger2040.UPDATE_NORMAL)
    else:
        display.update_speed(badger2040.UPDATE_NORMAL)
    p = Pen(display)
    p.font("bitmap8")
    p.pen(WHITE)
    display.clear()
    # top bar: node name and the time of this screen
    p.pen(BLACK)
    display.rectangle(0, 0, WIDTH, 16)
    p.pen(WHITE)
    p.text(fit(status["node"], 2), 3, 0, 2)
    p.text(status["time"], WIDTH - 8 * len(status["time"]) - 3, 4, 1)
    p.pen(BLACK)
    # the state, large enough to read from a metre away
    p.text(fit(status["state"], 3), 4, 22, 3)
    y = 52
    for line in status["lines"][:4]:
        p.text(fit(line, 2), 4, y, 2)
        y += 18
    display.update()


def save(status, path="odbackup_status.json"):
    # the last status, for main.py to redraw at power-up
    import json

    with open(path, "w") as f:
        json.dump(status, f)
