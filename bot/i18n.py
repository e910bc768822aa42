"""User-facing strings in Chinese and English, in one table so both stay complete."""

from __future__ import annotations

MESSAGES: dict[str, dict[str, str]] = {
    # Dispatcher
    "unknown_command": {"en": "I don't know /{name}. Try /help.", "zh": "没有 /{name} 这个命令，试试 /help。"},
    "not_a_command": {"en": "Commands start with /. Try /help.", "zh": "命令以 / 开头，试试 /help。"},
    "too_long": {
        "en": "That message is too long ({n} characters); commands take at most {limit}.",
        "zh": "消息太长（{n} 个字符），命令最多 {limit} 个字符。",
    },
    "group_only": {"en": "/{name} only works in a group or server channel.", "zh": "/{name} 只能在群组或频道中使用。"},
    "admins_only": {
        "en": "Only admins of this chat can use /{name}.",
        "zh": "只有本群管理员可以使用 /{name}。",
    },
    "internal_error": {
        "en": "Sorry, something went wrong on my side. Nothing was changed; please try again later.",
        "zh": "抱歉，机器人内部出错了。没有任何改动，请稍后再试。",
    },
    "usage": {"en": "Usage", "zh": "用法"},
    # Digest and summary labels
    "digest_header": {"en": "{title} · {day}", "zh": "{title} · {day} 更新"},
    "digest_header_days": {"en": "{title} · {start} – {day}", "zh": "{title} · {start} 至 {day} 更新"},
    "digest_count": {"en": "{n} new papers", "zh": "共 {n} 篇新论文"},
    "digest_empty": {
        "en": "No new papers on this topic today.",
        "zh": "今天没有这个主题的新论文。",
    },
    "no_announcement": {
        "en": "No new papers announced today: arXiv does not announce on weekends and holidays.",
        "zh": "今天 arXiv 没有发布新论文（周末和节假日不发布）。",
    },
    "listing_pending": {
        "en": "arXiv's listing of {day} is announced but not confirmed yet; it will be here after {at} UTC.",
        "zh": "arXiv {day} 的列表已发布但尚未确认，{at} (UTC) 之后可以查看。",
    },
    "digest_more": {
        "en": "…and {n} more. Send /digest {topic} all to see every paper.",
        "zh": "……还有 {n} 篇。发送 /digest {topic} all 查看全部。",
    },
    "authors": {"en": "Authors", "zh": "作者"},
    "comment": {"en": "Comment", "zh": "备注"},
    "code": {"en": "Code", "zh": "代码"},
    "summary": {"en": "Summary", "zh": "摘要"},
    "takeaways": {"en": "Key takeaways", "zh": "要点"},
    "full_summary_button": {"en": "Full summary", "zh": "完整解读"},
    "title_translated": {"en": "Title", "zh": "标题"},
    "affiliations": {"en": "Affiliations", "zh": "单位"},
    "keywords": {"en": "Keywords", "zh": "关键词"},
    "links": {"en": "Links", "zh": "链接"},
    "paper": {"en": "Paper", "zh": "论文"},
    "background": {"en": "Background", "zh": "研究背景"},
    "past_methods": {"en": "Past methods and their problems", "zh": "过去方案和缺点"},
    "proposed_method": {"en": "Proposed method", "zh": "本文方法"},
    "task_and_performance": {"en": "Task and performance", "zh": "任务与性能"},
    "method_steps": {"en": "Method, step by step", "zh": "方法详解"},
    "conclusion": {"en": "Conclusion", "zh": "总结"},
    "significance": {"en": "Significance", "zh": "意义"},
    "innovation": {"en": "Innovation", "zh": "创新点"},
    "performance": {"en": "Performance", "zh": "性能"},
    "workload": {"en": "Workload", "zh": "工作量"},
    "figures_not_allowed": {
        "en": "Figures are not reposted: this paper's license does not allow it. See the PDF.",
        "zh": "该论文的许可证不允许转载图片，请查看 PDF。",
    },
    # Limits and safety: quotas, caps and paging
    "quota_user": {
        "en": "You have used today's quota of {limit} model summaries. It renews at 00:00 UTC (in {hours} h); "
              "summaries already made still show. Nothing was spent.",
        "zh": "你今天的 {limit} 次模型解读额度已用完，将于 00:00 UTC（{hours} 小时后）重置；已生成的解读仍可查看。本次未消耗额度。",
    },
    "quota_chat": {
        "en": "This chat has used today's quota of {limit} model summaries. It renews at 00:00 UTC (in {hours} h); "
              "summaries already made still show. Nothing was spent.",
        "zh": "本群今天的 {limit} 次模型解读额度已用完，将于 00:00 UTC（{hours} 小时后）重置；已生成的解读仍可查看。本次未消耗额度。",
    },
    "quota_digest_capped": {
        "en": "…and {n} more not shown: today's quota of model summaries is used up. It renews at 00:00 UTC.",
        "zh": "……还有 {n} 篇未显示：今天的模型解读额度已用完，将于 00:00 UTC 重置。",
    },
    "digest_all_page": {
        "en": "Papers {first}–{last} of {total}; a digest shows at most {max}. "
              "Send /digest {topic} all {next} for the next ones.",
        "zh": "第 {first}–{last} 篇，共 {total} 篇；每次最多显示 {max} 篇。发送 /digest {topic} all {next} 查看后续。",
    },
    "digest_all_last": {"en": "Papers {first}–{last} of {total}.", "zh": "第 {first}–{last} 篇，共 {total} 篇。"},
    "limit_filters_user": {
        "en": "You already have {limit} filters, the most one person may keep. Remove one with /filter remove first.",
        "zh": "你已有 {limit} 个过滤器，已达上限。请先用 /filter remove 删除一些。",
    },
    "limit_topics_chat": {
        "en": "This chat already has {limit} topics of its own, the most allowed. Remove one with /topic remove first.",
        "zh": "本群已有 {limit} 个自定义主题，已达上限。请先用 /topic remove 删除一些。",
    },
    "limit_topics_user": {
        "en": "You have already defined {limit} topics, the most one person may. Remove one with /topic remove first.",
        "zh": "你已定义 {limit} 个主题，已达上限。请先用 /topic remove 删除一些。",
    },
    "limit_subscriptions_chat": {
        "en": "This chat already has {limit} subscriptions, the most allowed. Remove one with /unsubscribe first.",
        "zh": "本群已有 {limit} 个订阅，已达上限。请先用 /unsubscribe 取消一些。",
    },
    "limit_subscriptions_user": {
        "en": "You have already set up {limit} subscriptions, the most one person may. Remove one with /unsubscribe first.",
        "zh": "你已设置 {limit} 个订阅，已达上限。请先用 /unsubscribe 取消一些。",
    },
    "list_page": {
        "en": "Page {page} of {pages} ({total} in all). Send /{command} {next} for the next page.",
        "zh": "第 {page}/{pages} 页（共 {total} 项）。发送 /{command} {next} 查看下一页。",
    },
    "list_page_last": {"en": "Page {page} of {pages} ({total} in all).", "zh": "第 {page}/{pages} 页（共 {total} 项）。"},
    "page_out_of_range": {
        "en": "There is no page {page}: pages go from 1 to {pages}.",
        "zh": "没有第 {page} 页：页码为 1 到 {pages}。",
    },
    "topic_unknown_category": {
        "en": "arXiv has no category '{category}'; nothing was saved. Did you mean {suggestions}? "
              "All categories: https://arxiv.org/category_taxonomy",
        "zh": "arXiv 没有 '{category}' 这个分类，未做任何保存。你是不是想写 {suggestions}？"
              "全部分类见 https://arxiv.org/category_taxonomy",
    },
    "arxiv_unavailable": {
        "en": "arXiv is not answering right now. Please try again later.",
        "zh": "arXiv 暂时无法访问，请稍后再试。",
    },
    "arxiv_error": {"en": "{reason}", "zh": "arXiv 出错了：{reason}"},
    "storage_busy": {
        "en": "My storage is busy right now, so nothing was changed. Please try again in a minute.",
        "zh": "机器人的存储正忙，没有做任何改动，请过一分钟再试。",
    },
    "storage_full": {
        "en": "My storage is full, so nothing was changed. Please tell whoever runs this bot.",
        "zh": "机器人的存储空间已满，没有做任何改动。请告知机器人的管理员。",
    },
    "subscription_paused_dm": {
        "en": "I can no longer post in {chat} ({reason}), so the daily digest of {topics} there is paused. "
              "It resumes when I can post there again: add me back, or run /subscribe there again.",
        "zh": "我已无法在 {chat} 发消息（{reason}），那里的 {topics} 每日速递已暂停。"
              "恢复我的发言权限（重新把我加回去），或在那里再次 /subscribe，即可恢复。",
    },
    "project_page": {"en": "Project page", "zh": "项目主页"},
    "summary_pdf_queued": {
        "en": "Written from the abstract for now: the PDF is number {place} in line at arXiv (about {minutes} min). "
              "The full summary is written when it arrives; send /summarize {id} again then.",
        "zh": "暂时根据摘要生成：PDF 在 arXiv 的下载队列中排第 {place} 位（约 {minutes} 分钟）。"
              "PDF 到达后会重新生成完整解读，届时请再次发送 /summarize {id}。",
    },
    "summary_pdf_downloading": {
        "en": "Written from the abstract for now: the PDF is still downloading. "
              "The full summary is written when it arrives; send /summarize {id} again in a minute.",
        "zh": "暂时根据摘要生成：PDF 仍在下载。PDF 到达后会重新生成完整解读，请稍后再次发送 /summarize {id}。",
    },
}


def t(language: str, key: str, **values: object) -> str:
    entry = MESSAGES[key]
    template = entry.get(language) or entry["en"]
    return template.format(**values) if values else template
