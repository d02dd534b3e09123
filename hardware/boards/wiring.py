#!/usr/bin/env python3
"""Writes hardware/boards/{pi5,pi4,zero2w}/wiring.svg: the 40-pin header with every pin numbered and named, and
the wires of the push button, the status LED, the INA219 current sensor in the 5 V supply line and the USB
microphone. The three boards share the header pinout; they differ in their power and USB connectors.

Run from anywhere: python3 hardware/boards/wiring.py (only the Python standard library is needed)."""
from pathlib import Path
from xml.sax.saxutils import escape

BOARDS = {
    "pi5": {
        "name": "Raspberry Pi 5",
        "psu": ["5 V power supply", "official 27 W USB-C (5.1 V, 5 A)"],
        "breakout": "USB-C inline breakout",
        "power_in": "USB-C power in",
        "usb": "USB-A port",
        "mic": ["USB microphone", "into any USB-A port"],
        "chip": "pinctrl-rp1",
    },
    "pi4": {
        "name": "Raspberry Pi 4",
        "psu": ["5 V power supply", "USB-C, 5.1 V 3 A"],
        "breakout": "USB-C inline breakout",
        "power_in": "USB-C power in",
        "usb": "USB-A port",
        "mic": ["USB microphone", "into any USB-A port"],
        "chip": "pinctrl-bcm2711",
    },
    "zero2w": {
        "name": "Raspberry Pi Zero 2 W",
        "psu": ["5 V power supply", "micro-USB, 5.1 V 2.5 A"],
        "breakout": "micro-USB inline breakout",
        "power_in": "micro-USB PWR IN",
        "usb": "micro-USB 'USB' port",
        "mic": ["USB microphone", "via a micro-USB OTG adapter", "into the port marked USB", "(not PWR IN)"],
        "chip": "pinctrl-bcm2835",
    },
}

# Physical pin -> name (BCM numbering), identical on all 40-pin Raspberry Pi boards.
PINS = {
    1: "3V3", 2: "5V", 3: "GPIO2 SDA", 4: "5V", 5: "GPIO3 SCL", 6: "GND", 7: "GPIO4", 8: "GPIO14 TXD",
    9: "GND", 10: "GPIO15 RXD", 11: "GPIO17", 12: "GPIO18", 13: "GPIO27", 14: "GND", 15: "GPIO22",
    16: "GPIO23", 17: "3V3", 18: "GPIO24", 19: "GPIO10 MOSI", 20: "GND", 21: "GPIO9 MISO", 22: "GPIO25",
    23: "GPIO11 SCLK", 24: "GPIO8 CE0", 25: "GND", 26: "GPIO7 CE1", 27: "ID_SD", 28: "ID_SC", 29: "GPIO5",
    30: "GND", 31: "GPIO6", 32: "GPIO12", 33: "GPIO13", 34: "GND", 35: "GPIO19", 36: "GPIO16", 37: "GPIO26",
    38: "GPIO20", 39: "GND", 40: "GPIO21",
}

RED, ORANGE, BLACK, BLUE, PURPLE, GREEN, AMBER = "#d62728", "#e07b00", "#222222", "#1f5fbf", "#8e44ad", "#2ca02c", "#b8860b"
USED = {1: ORANGE, 3: BLUE, 5: PURPLE, 6: BLACK, 9: BLACK, 11: GREEN, 13: AMBER, 14: BLACK}

TOP, ROW = 260, 28               # header: first row's top, row height
ODD_X, EVEN_X, CELL_W = 640, 810, 160
LEFT_EDGE, RIGHT_EDGE = ODD_X, EVEN_X + CELL_W


def pin_y(pin):
    return TOP + (pin - 1) // 2 * ROW + ROW // 2


def fill_of(name):
    if name.startswith("GND"):
        return "#c8c8c8"
    if name == "5V":
        return "#f6b3b3"
    if name == "3V3":
        return "#f8d2a6"
    if "SDA" in name or "SCL" in name:
        return "#cfe0f5"
    return "#e4f0dc"


class Svg:
    def __init__(self):
        self.parts = []

    def add(self, s):
        self.parts.append(s)

    def text(self, x, y, s, size=14, anchor="start", weight="normal", fill=BLACK, halo=False):
        extra = ' stroke="#ffffff" stroke-width="5" stroke-linejoin="round" paint-order="stroke"' if halo else ""
        self.add(f'<text x="{x}" y="{y}" font-size="{size}" text-anchor="{anchor}" font-weight="{weight}" '
                 f'fill="{fill}"{extra}>{escape(s)}</text>')

    def rect(self, x, y, w, h, fill="#ffffff", stroke=BLACK, sw=1.5, rx=6):
        self.add(f'<rect x="{x}" y="{y}" width="{w}" height="{h}" rx="{rx}" fill="{fill}" stroke="{stroke}" stroke-width="{sw}"/>')

    def wire(self, points, color, width=4, label=None, at=0, dx=0, dy=-8, anchor="middle", pos=None):
        d = " ".join(f"{x},{y}" for x, y in points)
        self.add(f'<polyline points="{d}" fill="none" stroke="{color}" stroke-width="{width}" '
                 f'stroke-linejoin="round" stroke-linecap="round"/>')
        for x, y in (points[0], points[-1]):
            self.add(f'<circle cx="{x}" cy="{y}" r="4" fill="{color}"/>')
        if label:
            (x1, y1), (x2, y2) = points[at], points[at + 1]
            x, y = pos or ((x1 + x2) / 2 + dx, (y1 + y2) / 2 + dy)
            self.text(x, y, label, size=13, anchor=anchor, fill=color, weight="bold", halo=True)


def draw(board):
    b = BOARDS[board]
    s = Svg()
    width, height = 1300, 930
    s.add(f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
          'font-family="DejaVu Sans, Verdana, Arial, sans-serif">')
    s.add(f'<title>{escape(b["name"])}: EdgeLlm wiring (push button, status LED, INA219, USB microphone)</title>')
    s.rect(0, 0, width, height, fill="#ffffff", stroke="#ffffff", rx=0)
    s.text(40, 34, f'{b["name"]}: EdgeLlm wiring', size=24, weight="bold")
    s.text(40, 56, "push button on GPIO17, status LED on GPIO27, INA219 power sensor in the 5 V supply line, USB microphone",
           size=14, fill="#444444")

    # --- the board and its 40-pin header
    s.rect(600, 200, 410, 660, fill="#eef6ee", stroke="#2e7d32", sw=2.5, rx=18)
    s.text(805, 840, b["name"], size=14, anchor="middle", weight="bold", fill="#1b5e20")
    s.text(805, 855, "40-pin header, seen from above", size=12, anchor="middle", fill="#1b5e20")
    for pin, name in PINS.items():
        odd = pin % 2 == 1
        x = ODD_X if odd else EVEN_X
        y = TOP + (pin - 1) // 2 * ROW
        used = pin in USED
        s.rect(x, y + 2, CELL_W, ROW - 4, fill=fill_of(name), stroke=USED.get(pin, "#7a7a7a"), sw=3 if used else 1, rx=4)
        cx = x + CELL_W - 16 if odd else x + 16
        if pin == 1:
            s.add(f'<rect x="{cx - 11}" y="{y + 3}" width="22" height="22" fill="#ffffff" stroke="{BLACK}" stroke-width="1.5"/>')
        else:
            s.add(f'<circle cx="{cx}" cy="{y + ROW // 2}" r="11" fill="#ffffff" stroke="{BLACK}" stroke-width="1.5"/>')
        s.text(cx, y + ROW // 2 + 4, str(pin), size=11, anchor="middle", weight="bold")
        if odd:
            s.text(cx - 18, y + ROW // 2 + 5, name, size=13, anchor="end", weight="bold" if used else "normal")
        else:
            s.text(cx + 18, y + ROW // 2 + 5, name, size=13, weight="bold" if used else "normal")

    # --- the 5 V supply line: supply -> inline breakout (VBUS cut) -> INA219 shunt -> breakout -> the Pi's power input
    s.rect(40, 84, 200, 70, fill="#fff4e5")
    s.text(140, 110, b["psu"][0], size=14, anchor="middle", weight="bold")
    s.text(140, 130, b["psu"][1], size=12, anchor="middle")
    s.rect(290, 84, 250, 70, fill="#fff4e5")
    s.text(415, 106, b["breakout"], size=14, anchor="middle", weight="bold")
    s.text(415, 124, "VBUS (5 V) cut and brought out;", size=12, anchor="middle")
    s.text(415, 140, "GND and the other lines pass through", size=12, anchor="middle")
    s.rect(700, 186, 210, 30, fill="#fff4e5")
    s.text(805, 206, b["power_in"], size=13, anchor="middle", weight="bold")
    s.wire([(240, 119), (290, 119)], "#555555", width=7, label="cable", at=0)
    s.wire([(540, 119), (805, 119), (805, 186)], "#555555", width=7, label="cable to the Pi", at=0)

    # INA219 breakout
    s.rect(300, 232, 220, 122, fill="#e8eefc", stroke=BLUE, sw=2)
    s.text(400, 326, "INA219 breakout", size=14, anchor="middle", weight="bold")
    s.text(400, 343, "I²C address 0x40 (A0, A1 open)", size=11, anchor="middle")
    # screw terminal and shunt
    for x, label in ((340, "VIN+"), (460, "VIN−")):
        s.rect(x - 22, 232, 44, 22, fill="#ffffff", stroke=BLACK)
        s.text(x, 248, label, size=12, anchor="middle", weight="bold")
    s.add(f'<polyline points="362,274 370,274 376,264 388,284 400,264 412,284 424,264 430,274 438,274" fill="none" stroke="{BLACK}" stroke-width="2"/>')
    s.add(f'<polyline points="340,254 340,274 362,274" fill="none" stroke="{BLACK}" stroke-width="2"/>')
    s.add(f'<polyline points="460,254 460,274 438,274" fill="none" stroke="{BLACK}" stroke-width="2"/>')
    s.text(400, 302, "shunt 0.1 Ω (R100)", size=12, anchor="middle")
    s.wire([(350, 154), (340, 232)], RED, width=6)
    s.wire([(460, 232), (480, 154)], RED, width=6)
    s.text(330, 198, "5 V in", size=13, anchor="end", fill=RED, weight="bold", halo=True)
    s.text(480, 198, "5 V out", size=13, fill=RED, weight="bold", halo=True)
    s.text(410, 190, "in series", size=11, anchor="middle", fill=RED)

    # INA219 logic pins -> header; their names on the board's edge
    ina = [("GND", 246, None), ("VCC", pin_y(1), 1), ("SDA", pin_y(3), 3), ("SCL", pin_y(5), 5)]
    for name, y, _ in ina:
        s.text(512, y + 4, name, size=11, anchor="end", weight="bold")
    s.wire([(520, pin_y(1)), (LEFT_EDGE, pin_y(1))], ORANGE, label="3V3 → VCC", at=0, dy=-6)
    s.wire([(520, pin_y(3)), (LEFT_EDGE, pin_y(3))], BLUE, label="SDA", at=0, dy=-6)
    s.wire([(520, pin_y(5)), (LEFT_EDGE, pin_y(5))], PURPLE, label="SCL", at=0, dy=-6)
    s.wire([(520, 246), (990, 246), (990, pin_y(6)), (RIGHT_EDGE, pin_y(6))], BLACK,
           label="GND → pin 6", pos=(528, 240), anchor="start")

    # push button between GPIO17 (pin 11) and GND (pin 9)
    s.rect(330, pin_y(9) - 20, 150, 68, fill="#ffffff")
    s.text(320, pin_y(9) + 10, "push button", size=14, anchor="end", weight="bold")
    s.text(320, pin_y(9) + 28, "(normally open)", size=12, anchor="end")
    bx = 400
    s.add(f'<line x1="{bx}" y1="{pin_y(9)}" x2="480" y2="{pin_y(9)}" stroke="{BLACK}" stroke-width="2"/>')
    s.add(f'<line x1="{bx}" y1="{pin_y(11)}" x2="480" y2="{pin_y(11)}" stroke="{BLACK}" stroke-width="2"/>')
    s.add(f'<circle cx="{bx}" cy="{pin_y(9)}" r="4" fill="#ffffff" stroke="{BLACK}" stroke-width="2"/>')
    s.add(f'<circle cx="{bx}" cy="{pin_y(11)}" r="4" fill="#ffffff" stroke="{BLACK}" stroke-width="2"/>')
    s.add(f'<line x1="{bx - 12}" y1="{pin_y(9) - 4}" x2="{bx - 12}" y2="{pin_y(11) + 4}" stroke="{BLACK}" stroke-width="3"/>')
    s.add(f'<line x1="{bx - 12}" y1="{(pin_y(9) + pin_y(11)) / 2}" x2="{bx - 30}" y2="{(pin_y(9) + pin_y(11)) / 2}" stroke="{BLACK}" stroke-width="2"/>')
    s.text(bx - 34, (pin_y(9) + pin_y(11)) / 2 + 4, "press", size=11, anchor="end")
    s.wire([(480, pin_y(9)), (LEFT_EDGE, pin_y(9))], BLACK, label="GND (pin 9)", at=0, dy=-6)
    s.wire([(480, pin_y(11)), (LEFT_EDGE, pin_y(11))], GREEN, label="GPIO17 (pin 11)", at=0, dy=-6)

    # status LED: GPIO27 (pin 13) -> 330 Ω -> LED anode; cathode -> GND (pin 14)
    y = pin_y(13) + 56
    s.wire([(LEFT_EDGE, pin_y(13)), (590, pin_y(13)), (590, y), (570, y)], AMBER, label="GPIO27 (pin 13)",
           pos=(584, pin_y(13) + 20), anchor="end")
    s.add(f'<polyline points="570,{y} 556,{y} 552,{y - 9} 544,{y + 9} 536,{y - 9} 528,{y + 9} 520,{y - 9} 512,{y + 9} 508,{y} 494,{y}" '
          f'fill="none" stroke="{BLACK}" stroke-width="2"/>')
    s.text(532, y - 16, "330 Ω resistor", size=13, anchor="middle", weight="bold")
    # LED symbol: triangle pointing from anode (right) to cathode (left), bar at the cathode
    s.add(f'<line x1="494" y1="{y}" x2="470" y2="{y}" stroke="{BLACK}" stroke-width="2"/>')
    s.add(f'<polygon points="470,{y - 13} 470,{y + 13} 446,{y}" fill="#ffd54f" stroke="{BLACK}" stroke-width="2"/>')
    s.add(f'<line x1="444" y1="{y - 14}" x2="444" y2="{y + 14}" stroke="{BLACK}" stroke-width="3"/>')
    s.add(f'<line x1="444" y1="{y}" x2="420" y2="{y}" stroke="{BLACK}" stroke-width="2"/>')
    for k in (0, 10):
        s.add(f'<line x1="{452 + k}" y1="{y - 16}" x2="{442 + k}" y2="{y - 28}" stroke="{AMBER}" stroke-width="2"/>')
    s.text(458, y + 34, "LED", size=14, anchor="middle", weight="bold")
    s.text(458, y + 50, "long leg (+) toward the resistor,", size=12, anchor="middle")
    s.text(458, y + 66, "flat side (−) toward GND", size=12, anchor="middle")
    s.wire([(420, y), (300, y), (300, 900), (990, 900), (990, pin_y(14)), (RIGHT_EDGE, pin_y(14))], BLACK,
           label="LED cathode → GND (pin 14)", at=2, dy=-8)

    # USB microphone
    my = 740
    s.rect(1040, my, 220, 28 + 18 * len(b["mic"]), fill="#f3e8fc", stroke=PURPLE, sw=2)
    for i, line in enumerate(b["mic"]):
        s.text(1150, my + 24 + 18 * i, line, size=14 if i == 0 else 12, anchor="middle", weight="bold" if i == 0 else "normal")
    s.rect(1010 - 12, my + 4, 24, 40, fill="#dddddd")
    s.text(1040, my + 46 + 18 * len(b["mic"]), f'→ the board\'s {b["usb"]}', size=12)
    s.wire([(1040, my + 24), (1022, my + 24)], "#555555", width=7)

    # legend
    lx, ly = 1040, 260
    s.rect(lx, ly, 230, 250, fill="#fafafa", stroke="#999999")
    s.text(lx + 12, ly + 24, "wires", size=14, weight="bold")
    items = [(RED, "5 V supply line (thick)"), (ORANGE, "3.3 V"), (BLACK, "ground (GND)"), (BLUE, "I²C data SDA"),
             (PURPLE, "I²C clock SCL"), (GREEN, "button: GPIO17"), (AMBER, "LED: GPIO27"), ("#555555", "USB cable")]
    for i, (c, label) in enumerate(items):
        yy = ly + 48 + i * 24
        s.add(f'<line x1="{lx + 14}" y1="{yy}" x2="{lx + 54}" y2="{yy}" stroke="{c}" stroke-width="5" stroke-linecap="round"/>')
        s.text(lx + 64, yy + 5, label, size=13)
    s.text(lx, 560, "button: internal pull-up,", size=12)
    s.text(lx, 576, "pressed = low (ActiveLow)", size=12)
    s.text(lx, 598, "I²C: raspi-config nonint do_i2c 0", size=12)
    s.text(lx, 620, f'GPIO chip: {b["chip"]}', size=12)
    s.text(lx, 650, "pin 1: the square pad, at the end", size=12, fill="#1b5e20")
    s.text(lx, 666, "of the header nearest the microSD slot;", size=12, fill="#1b5e20")
    s.text(lx, 682, "odd pins on the inner row,", size=12, fill="#1b5e20")
    s.text(lx, 698, "even pins along the board's edge", size=12, fill="#1b5e20")
    s.add("</svg>")
    return "\n".join(s.parts) + "\n"


def main():
    here = Path(__file__).resolve().parent
    for board in BOARDS:
        (here / board / "wiring.svg").write_text(draw(board), encoding="utf-8")


if __name__ == "__main__":
    main()
