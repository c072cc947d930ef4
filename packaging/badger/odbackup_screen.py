# odbackup status screen for the Pimoroni Badger 2040 (296x128, 1 bit). odbackup sends this file followed by
# show(json.loads("...")): the values arrive as a JSON literal, never as text pasted into Python source.
# `odbackup display install` also stores it on the Badger's flash, where main.py calls redraw() at power-up.
# Works with the old badger2040 API (pen, thickness, text(..., scale)) and the new one (set_pen, set_font).
import badger2040

WIDTH = 296
BLACK = 0
WHITE = 15
STATUS_FILE = "odbackup_status.json"


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


def draw(display, status):
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
    # the node in large type when it fits beside the time, else in small type
    room = WIDTH - 8 * len(status["time"]) - 12
    node = status["node"]
    if 16 * len(node) <= room:
        p.text(node, 3, 0, 2)
    else:
        p.text(node[: room // 8], 3, 4, 1)
    p.text(status["time"], WIDTH - 8 * len(status["time"]) - 3, 4, 1)
    p.pen(BLACK)
    # the state, large enough to read from a metre away
    p.text(fit(status["state"], 3), 4, 22, 3)
    y = 52
    for line in status["lines"][:4]:
        p.text(fit(line, 2), 4, y, 2)
        y += 18
    display.update()


BUTTONS = ("A", "B", "C", "UP", "DOWN")


def held(display, seen=()):
    # the buttons down right now, added to those seen before
    names = list(seen)
    for name in BUTTONS:
        pin = getattr(badger2040, "BUTTON_" + name, None)
        if pin is not None and name not in names and display.pressed(pin):
            names.append(name)
    return names


def write_atomically(path, text):
    # a power cut leaves the old file or the new one, never half of one
    import os

    with open(path + ".tmp", "w") as f:
        f.write(text)
    try:
        os.rename(path + ".tmp", path)
    except OSError:
        os.remove(path)
        os.rename(path + ".tmp", path)


def show(status):
    # what odbackup runs: store the status for main.py, draw it, say which buttons were held meanwhile
    import json

    display = badger2040.Badger2040()
    before = held(display)
    write_atomically(STATUS_FILE, json.dumps(status))
    draw(display, status)
    print(json.dumps({"held": held(display, before)}))


def redraw():
    # what main.py runs at power-up: the last status odbackup stored
    import json

    try:
        with open(STATUS_FILE) as f:
            status = json.load(f)
    except (OSError, ValueError):
        status = {"node": "odbackup", "time": "", "state": "NO STATUS YET", "lines": ["waiting for the", "first odbackup pass"]}
    draw(badger2040.Badger2040(), status)
