-- pandoc filter for the man pages: links to other docs/*.md files (and to anchors in them)
-- become their text alone, as a man page cannot follow them; web links are kept.
function Link(el)
  if not el.target:match("^%a[%w+.-]*:") then
    return el.content
  end
end
