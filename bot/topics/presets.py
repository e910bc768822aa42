"""Built-in topics a chat can subscribe to without writing an expression.

Expressions lean on phrases because single words like "diffusion", "agent" or
"face" are common outside each field; categories already narrow the stream, so a
phrase only has to separate the topic from its neighbours inside those categories.
Singular forms are enough: a term ending in a letter also matches its plural.
"""

from __future__ import annotations

from bot.models import Topic

__all__ = ["PRESETS", "preset"]


def _any(*terms: str) -> str:
    """OR the terms, quoting those with spaces, so the lists below stay readable."""
    return " OR ".join(f'"{t}"' if " " in t else t for t in terms)


VIRTUAL_HUMANS = Topic(
    name="virtual-humans",
    title="元宇宙/虚拟人 · Virtual humans",
    categories=("cs.CV", "cs.GR", "cs.MM", "cs.HC"),
    description="Avatars, digital humans, talking heads, body/face/hand capture and animation for the metaverse.",
    expression=_any(
        "avatar", "human avatar", "head avatar", "gaussian avatar", "hand avatar",
        "digital human", "virtual human", "metaverse", "talking head", "talking face",
        "talking portrait", "face reenactment", "facial reenactment", "lip sync",
        "co-speech gesture", "gesture generation", "human motion generation",
        "human reconstruction", "clothed human", "3d human", "animatable human",
        "human body model", "hand reconstruction", "hand mesh", "smpl", "smpl-x",
        "virtual try-on", "虚拟人", "数字人", "元宇宙",
    ),
    builtin=True,
)

LLM = Topic(
    name="llm",
    title="大语言模型 · Large language models",
    categories=("cs.CL", "cs.AI", "cs.LG"),
    description="Large language models: training, alignment, reasoning, evaluation and agents built on them.",
    expression=_any(
        "large language model", "language model", "llm", "vlm", "multimodal llm", "mllm",
        "gpt*", "chatgpt", "llama", "instruction tuning", "in-context learning", "rlhf",
        "preference optimization", "chain-of-thought", "reasoning model", "prompt engineering",
        "retrieval-augmented generation", "tokenizer", "大模型", "大语言模型",
    ),
    builtin=True,
)

DIFFUSION = Topic(
    name="diffusion",
    title="扩散与生成模型 · Diffusion & generative models",
    categories=("cs.CV", "cs.LG", "cs.GR"),
    description="Diffusion, flow-matching and other generative models for images, video and 3D.",
    expression=_any(
        "diffusion model", "diffusion-based", "denoising diffusion", "latent diffusion",
        "stable diffusion", "video diffusion", "diffusion transformer", "score-based generative",
        "flow matching", "rectified flow", "consistency model", "ddpm", "ddim",
        "text-to-image", "text-to-video", "text-to-3d", "image generation", "video generation",
        "image synthesis", "generative adversarial network", "gan", "扩散模型",
    ),
    builtin=True,
)

VISION_3D = Topic(
    name="3d-vision",
    title="三维视觉 · 3D vision",
    categories=("cs.CV", "cs.GR"),
    description="Gaussian splatting, NeRF, 3D reconstruction, novel view synthesis, depth and point clouds.",
    expression=_any(
        "gaussian splatting", "3dgs", "3d-gs", "3d gaussian", "nerf", "neural radiance field",
        "radiance field", "novel view synthesis", "multi-view stereo", "structure from motion",
        "3d reconstruction", "surface reconstruction", "mesh reconstruction", "scene reconstruction",
        "point cloud", "depth estimation", "slam", "3d generation", "3d scene", "三维重建",
    ),
    builtin=True,
)

ROBOTICS = Topic(
    name="robotics",
    title="机器人 · Robotics",
    categories=("cs.RO",),
    description="Robot learning, manipulation, locomotion, planning and autonomous vehicles.",
    expression=_any(
        "robot*", "manipulation", "grasp*", "locomotion", "humanoid", "quadruped", "legged",
        "motion planning", "path planning", "trajectory", "navigation", "autonomous driving",
        "autonomous vehicle", "drone", "uav", "aerial vehicle", "slam", "odometry",
        "imitation learning", "reinforcement learning", "policy", "policies", "embodied",
        "teleoperation", "control", "controller", "actuator", "sensor", "机器人",
    ),
    builtin=True,
)

PRESETS: tuple[Topic, ...] = (VIRTUAL_HUMANS, LLM, DIFFUSION, VISION_3D, ROBOTICS)


def preset(name: str) -> Topic | None:
    return next((t for t in PRESETS if t.name == name), None)
