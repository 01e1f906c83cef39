from consultant.mail.html_text import MAX_HTML_CHARS, html_to_text


class TestHtmlToText:
    def test_paragraphs_become_lines_separated_by_a_blank_line(self):
        assert html_to_text("<p>Is K76.0 billable?</p><p>Thanks</p>") == "Is K76.0 billable?\n\nThanks"

    def test_divs_become_lines_and_list_items_bulleted_lines(self):
        assert html_to_text("<div>one</div><div>two</div><ul><li>K76.0</li><li>I10</li></ul>") == (
            "one\ntwo\n* K76.0\n* I10"
        )

    def test_br_breaks_a_line_and_two_make_a_blank_line(self):
        assert html_to_text("a<br>b<br/>c<br><br>d") == "a\nb\nc\n\nd"

    def test_source_line_breaks_are_just_spaces(self):
        text = html_to_text("<p>Is K76.0\n   billable\tfor this\r\npatient?</p>")
        assert text == "Is K76.0 billable for this patient?"

    def test_inline_markup_does_not_split_words_or_lines(self):
        assert html_to_text("<p>Is <b>K76</b>.<i>0</i> <span>billable</span>?</p>") == "Is K76.0 billable?"

    def test_entities_are_decoded(self):
        assert html_to_text("<p>A &amp; B &lt;C&gt; caf&eacute; &#8212; &#x2013;&nbsp;x</p>") == "A & B <C> café — – x"

    def test_table_cells_are_separated(self):
        assert html_to_text("<table><tr><td>K76.0</td><td>Fatty liver</td></tr><tr><td>I10</td></tr></table>") == (
            "K76.0 Fatty liver\nI10"
        )

    def test_pre_keeps_its_lines_and_indentation(self):
        assert html_to_text("<pre>line 1\n  line 2</pre>") == "line 1\n  line 2"

    def test_blockquote_lines_are_marked_as_quoted(self):
        text = html_to_text("<p>My reply</p><blockquote><p>We have <b>your</b> question.</p><p>Second</p></blockquote>")
        assert text.splitlines() == ["My reply", "", "> We have your question.", "", "> Second"]

    def test_nested_blockquotes_are_quoted_twice(self):
        text = html_to_text("<blockquote>outer<blockquote>inner</blockquote></blockquote><p>after</p>")
        assert [line for line in text.splitlines() if line] == ["> outer", "> > inner", "after"]

    def test_scripts_and_styles_are_dropped(self):
        text = html_to_text("<style>p{color:red}</style><p>Hi</p><script>alert('x')</script><p>there</p>")
        assert text == "Hi\n\nthere"

    def test_unclosed_script_drops_everything_after_it(self):
        assert html_to_text("<p>Hi</p><script>alert(document.cookie)<p>more") == "Hi"

    def test_unclosed_head_does_not_swallow_the_body(self):
        assert html_to_text("<html><head><title>Newsletter<body><p>Is I10 billable?</p>") == "Is I10 billable?"

    def test_unclosed_tags_keep_their_text(self):
        assert html_to_text("<div><p>first<div>second <b>bold <i>italic") == "first\n\nsecond bold italic"

    def test_comments_attributes_and_stray_end_tags_leave_no_text(self):
        text = html_to_text(
            '<!-- hidden --><p onclick="steal()">Q</p></div></blockquote><img src=x onerror="alert(1)">'
            "<a href=\"javascript:alert(1)\">link</a>"
        )
        assert text == "Q\n\nlink"

    def test_escaped_markup_stays_text(self):
        assert html_to_text("<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>") == "<script>alert(1)</script>"

    def test_outlook_conditional_comments_are_ignored(self):
        assert html_to_text("<![if !supportLists]><span>1.</span><![endif]> K76.0") == "1. K76.0"

    def test_empty_and_whitespace_input_give_empty_text(self):
        assert html_to_text("") == ""
        assert html_to_text("   <p>  </p>\n<div> </div>") == ""

    def test_invisible_elements_are_dropped(self):
        text = html_to_text("<noscript>enable js</noscript><template>tpl</template><p>Is I10 billable?</p>"
                            "<iframe>frame fallback</iframe>")
        assert text == "Is I10 billable?"

    def test_an_entity_bomb_is_not_expanded(self):
        bomb = (
            '<!DOCTYPE html [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
            '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]><html><body><p>&c;&c;&c;</p></body></html>'
        )
        text = html_to_text(bomb)
        assert "aaaaaaaaaa" not in text
        assert len(text) < len(bomb)

    def test_huge_markup_is_cut_before_parsing(self):
        text = html_to_text("<p>" + "K76.0 " * (MAX_HTML_CHARS // 3) + "</p><p>TAIL</p>")
        assert text.startswith("K76.0 K76.0")
        assert "TAIL" not in text
        assert len(text) <= MAX_HTML_CHARS

    def test_very_deep_nesting_does_not_raise(self):
        assert isinstance(html_to_text("<div><blockquote>" * 50_000 + "deep"), str)

    def test_xml_declaration_and_nul_bytes_are_tolerated(self):
        assert html_to_text("<?xml version='1.0' encoding='utf-8'?><p>Is I10\x00 billable?</p>") == "Is I10 billable?"
