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
    "cmd_help": {"en": "Show what I can do", "zh": "查看所有命令"},
    "cmd_topics": {"en": "List the topics you can subscribe to, a page at a time: /topics [page]", "zh": "列出可订阅的主题（分页）：/topics [页码]"},
    "cmd_topic": {"en": "Define or remove this chat's own topic: add NAME CATEGORIES EXPRESSION | remove NAME", "zh": "定义或删除本群自定义主题：add 名称 分类 关键词表达式 | remove 名称"},
    "cmd_subscribe": {"en": "Post a daily digest of a topic in this chat, at HH:MM in a time zone", "zh": "订阅主题，每天在指定时间（时区）推送论文速递"},
    "cmd_unsubscribe": {"en": "Stop a topic's digest in this chat (or all)", "zh": "取消订阅某个主题（或 all 全部取消）"},
    "cmd_subscriptions": {"en": "Show this chat's subscriptions, a page at a time: /subscriptions [page]", "zh": "查看本群的订阅（分页）：/subscriptions [页码]"},
    "cmd_lang": {"en": "Set this chat's language: zh or en", "zh": "设置本群语言：zh 或 en"},
    "cmd_settings": {"en": "Show or change settings: timezone ZONE (moves subscriptions) | max N | figures on|off", "zh": "查看或修改设置：timezone 时区 | max 数量 | figures on|off"},
    "cmd_filter": {"en": "Your personal filters: add TOPIC|EXPRESSION, remove X, mute KEYWORD, list", "zh": "个人过滤器：add 主题或表达式 | remove | mute 关键词 | list"},
    "cmd_mydigest": {"en": "Your personal digest by direct message: on|off [HH:MM] [timezone]", "zh": "私信推送个人速递：on|off [时间] [时区]"},
    "cmd_digest": {"en": "Today's digest now: /digest [topic|mine] [all [page]] [YYYY-MM-DD]", "zh": "立即获取今日速递：/digest [主题|mine] [all [页码]] [日期]"},
    "cmd_summarize": {"en": "Structured summary of a paper: /summarize 2407.03204 or an arXiv URL", "zh": "解读一篇论文：/summarize 2407.03204 或 arXiv 链接"},
    "param_topic": {"en": "topic name, see /topics", "zh": "主题名，见 /topics"},
    "param_topic_or_all": {"en": "topic name, or all", "zh": "主题名，或 all"},
    "param_time": {"en": "local time HH:MM, default 08:00", "zh": "当地时间 HH:MM，默认 08:00"},
    "param_zone": {"en": "IANA time zone such as Asia/Shanghai", "zh": "IANA 时区，如 Asia/Shanghai"},
    "param_page": {"en": "page number, default 1", "zh": "页码，默认 1"},
    "param_language": {"en": "zh or en", "zh": "zh 或 en"},
    "param_setting": {"en": "timezone, max or figures", "zh": "timezone、max 或 figures"},
    "param_value": {"en": "the new value", "zh": "新的值"},
    "param_filter_action": {"en": "add, remove, mute or list", "zh": "add、remove、mute 或 list"},
    "param_filter_value": {"en": "topic name, keyword expression or keyword", "zh": "主题名、关键词表达式或关键词"},
    "param_switch": {"en": "on or off", "zh": "on 或 off"},
    "param_topic_action": {"en": "add or remove", "zh": "add 或 remove"},
    "param_topic_name": {"en": "topic name, e.g. my-avatars", "zh": "主题名，如 my-avatars"},
    "param_topic_definition": {"en": "categories then expression, e.g. cs.CV,cs.GR avatar OR \"talking head\"", "zh": "分类和表达式，如 cs.CV,cs.GR avatar OR \"talking head\""},
    "param_digest_topic": {"en": "topic name, or mine for your filters; default: this chat's subscriptions", "zh": "主题名，或 mine（你的过滤器）；默认：本群的订阅"},
    "param_all": {"en": "all: every paper, a page at a time", "zh": "all：全部论文，分页显示"},
    "param_date": {"en": "a listing date YYYY-MM-DD", "zh": "列表日期 YYYY-MM-DD"},
    "param_paper": {"en": "arXiv id or URL, e.g. 2407.03204", "zh": "arXiv 编号或链接，如 2407.03204"},
    "missing_param": {"en": "Missing {name}.", "zh": "缺少参数 {name}。"},
    "too_many_args": {"en": "Too many arguments.", "zh": "参数太多。"},
    "bad_time": {"en": "'{value}' is not a time; use 24-hour HH:MM such as 08:30.", "zh": "'{value}' 不是时间，请用 24 小时制 HH:MM，如 08:30。"},
    "bad_time_range": {"en": "'{value}' is not a valid time; hours go 00–23 and minutes 00–59.", "zh": "'{value}' 不是有效时间：小时 00–23，分钟 00–59。"},
    "bad_zone": {"en": "'{value}' is not a time zone; use an IANA name such as Asia/Shanghai or UTC.", "zh": "'{value}' 不是时区，请用 IANA 名称，如 Asia/Shanghai 或 UTC。"},
    "unknown_zone": {"en": "Unknown time zone '{value}'; use an IANA name such as Europe/Berlin, Asia/Shanghai or UTC.", "zh": "未知时区 '{value}'，请用 IANA 名称，如 Europe/Berlin、Asia/Shanghai 或 UTC。"},
    "bad_switch": {"en": "'{value}' should be on or off.", "zh": "'{value}' 应为 on 或 off。"},
    "bad_date": {"en": "'{value}' is not a date; use YYYY-MM-DD.", "zh": "'{value}' 不是日期，请用 YYYY-MM-DD。"},
    "bad_number": {"en": "'{value}' is not a number.", "zh": "'{value}' 不是数字。"},
    "bad_choice": {"en": "'{value}' is not one of: {choices}.", "zh": "'{value}' 不在可选项中：{choices}。"},
    "unknown_topic": {"en": "Unknown topic '{name}'. Topics: {names}. See /topics.", "zh": "未知主题 '{name}'。可用主题：{names}。见 /topics。"},
    "bad_expression": {"en": "{error}", "zh": "关键词表达式有误：{error}"},
    "no_listing_that_day": {"en": "That date has no arXiv listing.", "zh": "该日期没有 arXiv 列表。"},
    "page_needs_all": {"en": "A page number goes after all, e.g. /digest llm all 2.", "zh": "页码写在 all 之后，如 /digest llm all 2。"},
    "help_intro": {"en": "paperbot: daily arXiv digests and paper summaries.", "zh": "paperbot：每日 arXiv 论文速递与论文解读。"},
    "admins_mark": {"en": " (admins)", "zh": "（管理员）"},
    "on": {"en": "on", "zh": "开"},
    "off": {"en": "off", "zh": "关"},
    "subscribed": {"en": "Subscribed to {topic}: a digest every {days} at {at} ({zone}).", "zh": "已订阅 {topic}：每个{days} {at}（{zone}）推送。"},
    "not_subscribed": {"en": "This chat is not subscribed to {topic}.", "zh": "本群没有订阅 {topic}。"},
    "unsubscribed": {"en": "Unsubscribed ({n}).", "zh": "已取消订阅（{n} 个）。"},
    "no_subscriptions": {"en": "No subscriptions here yet. Try /subscribe virtual-humans 08:00 Asia/Shanghai", "zh": "本群还没有订阅。试试 /subscribe virtual-humans 08:00 Asia/Shanghai"},
    "subscriptions_header": {"en": "Subscriptions:", "zh": "订阅："},
    "subscription_last_sent": {"en": "; last sent {day}", "zh": "；上次推送 {day}"},
    "subscription_paused": {"en": "; PAUSED: {reason}", "zh": "；已暂停：{reason}"},
    "weekdays": {"en": "weekday", "zh": "工作日"},
    "weekday_names": {"en": "Mon,Tue,Wed,Thu,Fri,Sat,Sun", "zh": "周一,周二,周三,周四,周五,周六,周日"},
    "language_set": {"en": "Language set to English.", "zh": "语言已设置为中文。"},
    "settings_show": {"en": "Language: {lang}\nTime zone: {zone}\nPapers per digest: {max}\nFigures: {figures}", "zh": "语言：{lang}\n时区：{zone}\n每期最多论文数：{max}\n图片：{figures}"},
    "settings_need_value": {"en": "Give a setting and a value.", "zh": "请给出设置名和值。"},
    "timezone_set": {"en": "Time zone set to {zone}; {n} subscription(s) keep their local time there.", "zh": "时区已设为 {zone}；{n} 个订阅按该时区的原定时间推送。"},
    "max_range": {"en": "max takes a number from 1 to 100.", "zh": "max 需要 1 到 100 的数字。"},
    "max_set": {"en": "Digests here show at most {n} papers.", "zh": "每期最多显示 {n} 篇。"},
    "figures_set": {"en": "Figures {state} for /summarize.", "zh": "/summarize 图片：{state}。"},
    "no_filters": {"en": "You have no filters. Try /filter add llm or /filter add \"talking head\"", "zh": "你还没有过滤器。试试 /filter add llm 或 /filter add \"talking head\""},
    "filters_header": {"en": "Your filters:", "zh": "你的过滤器："},
    "filter_needs_value": {"en": "/filter {action} needs a value.", "zh": "/filter {action} 需要一个值。"},
    "filter_too_long": {"en": "A filter is at most {limit} characters.", "zh": "过滤器最多 {limit} 个字符。"},
    "no_such_filter": {"en": "You have no such filter; see /filter list.", "zh": "没有这个过滤器，见 /filter list。"},
    "filter_removed": {"en": "Removed filter: {value}", "zh": "已删除过滤器：{value}"},
    "filter_exists": {"en": "You already have that filter.", "zh": "这个过滤器已存在。"},
    "filter_muted": {"en": "Muted: papers matching {value} are left out of your digest.", "zh": "已屏蔽：匹配 {value} 的论文不会出现在你的速递中。"},
    "filter_added": {"en": "Added filter: {value}. Turn on your digest with /mydigest on 08:00.", "zh": "已添加过滤器：{value}。用 /mydigest on 08:00 开启个人速递。"},
    "mydigest_in_dm": {"en": "Send /mydigest to me in a direct message.", "zh": "请私聊我发送 /mydigest。"},
    "mydigest_off": {"en": "Personal digest off.", "zh": "个人速递已关闭。"},
    "mydigest_on": {"en": "Personal digest on: weekdays at {at} ({zone}) by direct message.", "zh": "个人速递已开启：工作日 {at}（{zone}）私信推送。"},
    "mydigest_hint": {"en": " Add topics with /filter add TOPIC.", "zh": " 请用 /filter add 主题 添加关注。"},
    "topics_header": {"en": "Topics:", "zh": "主题："},
    "topic_own_mark": {"en": " (this chat)", "zh": "（本群自定义）"},
    "no_own_topic": {"en": "This chat has no topic '{name}'.", "zh": "本群没有自定义主题 '{name}'。"},
    "topic_removed": {"en": "Removed topic {name}.", "zh": "已删除主题 {name}。"},
    "topic_needs_definition": {"en": "Give categories and an expression.", "zh": "请给出分类和关键词表达式。"},
    "topic_saved": {"en": "Topic {name} saved: [{categories}] {expression}", "zh": "主题 {name} 已保存：[{categories}] {expression}"},
    "topic_bad_name": {"en": "A topic name uses lowercase letters, digits and '-', at most 40 characters (not all or mine).", "zh": "主题名只能用小写字母、数字和 '-'，最多 40 个字符（不能是 all 或 mine）。"},
    "topic_is_builtin": {"en": "'{name}' is a built-in topic; pick another name.", "zh": "'{name}' 是内置主题，请换一个名字。"},
    "topic_categories_count": {"en": "Give 1 to 10 arXiv categories, such as cs.CV,cs.GR.", "zh": "请给出 1 到 10 个 arXiv 分类，如 cs.CV,cs.GR。"},
    "no_filters_yet": {"en": "You have no filters yet; add one with /filter add TOPIC.", "zh": "你还没有过滤器，请先 /filter add 主题。"},
    "which_topic": {"en": "Which topic? See /topics.", "zh": "哪个主题？见 /topics。"},
    "no_such_paper": {"en": "arXiv has no paper {id}. Check the id.", "zh": "arXiv 上没有论文 {id}，请检查编号。"},
    "budget_used": {"en": "Today's summary budget is used up. /summarize works again after {at}.", "zh": "今日解读额度已用完，{at} 之后可再次使用 /summarize。"},
    "digest_failed": {"en": "Today's digest could not be sent: arXiv did not answer ({reason}). It will resume tomorrow.", "zh": "今天的论文速递未能发送：arXiv 一直无法访问（{reason}）。明天会照常推送。"},
}


def t(language: str, key: str, **values: object) -> str:
    entry = MESSAGES[key]
    template = entry.get(language) or entry["en"]
    return template.format(**values) if values else template
