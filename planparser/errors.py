"""The one exception the parser raises, with stable codes and messages in Chinese and English."""

from __future__ import annotations

from typing import Any

# code -> (message_zh, message_en); {placeholders} are filled from params.
MESSAGES: dict[str, tuple[str, str]] = {
    "empty": ("文件为空,或没有可读的文字。", "The document is empty or contains no readable text."),
    "binary": (
        "文件内容不是可识别的文字(可能是二进制文件或编码无法识别)。",
        "The file does not contain recognisable text (binary data or an unknown encoding).",
    ),
    "too_large": (
        "文件过大({size} 字节),上限为 {max_bytes} 字节。",
        "The file is too large ({size} bytes); the limit is {max_bytes} bytes.",
    ),
    "unsupported_type": (
        "不支持的文件类型“{kind}”。请上传 .txt、.docx、.xlsx、.pdf 或 .html 文件,或直接粘贴文字。",
        "Unsupported file type '{kind}'. Upload a .txt, .docx, .xlsx, .pdf or .html file, or paste the text.",
    ),
    "no_text_layer": (
        "PDF 没有文字层(可能是扫描件),请先进行文字识别(OCR)或提供 Word 版本。",
        "The PDF has no text layer (probably a scan); run OCR first or provide the Word version.",
    ),
    "no_tasks": (
        "未能在文档中识别出任何任务(例如“1.”编号条目或带责任单位的段落)。",
        "No tasks were recognised in the document (numbered items such as '1.' or paragraphs with departments).",
    ),
    "malformed": (
        "文件已损坏或格式不正确,无法读取({detail})。",
        "The file is damaged or malformed and cannot be read ({detail}).",
    ),
}


class _Default(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


class ParseError(Exception):
    """A document could not be imported; ``code`` is stable, messages are for people."""

    def __init__(self, code: str, **params: Any) -> None:
        zh, en = MESSAGES.get(code, ("无法解析文档。", "The document could not be parsed."))
        self.code = code
        self.params: dict[str, Any] = dict(params)
        safe = _Default({k: str(v) for k, v in params.items()})
        self.message_zh = zh.format_map(safe)
        self.message_en = en.format_map(safe)
        super().__init__(f"{code}: {self.message_en}")

    def __reduce__(self) -> tuple[Any, ...]:  # keep picklable for job queues
        return (_rebuild, (self.code, self.params))


def _rebuild(code: str, params: dict[str, Any]) -> ParseError:
    return ParseError(code, **params)
