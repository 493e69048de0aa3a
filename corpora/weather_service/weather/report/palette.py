RAINBOW = [(0, 0, 255), (0, 255, 0), (255, 255, 0), (255, 0, 0)]


def apply(image):
    return image.quantize(colors=len(RAINBOW)).convert("RGB")
