"""Driving JupyterLab 4 in headless Chromium as a student would: clicks, typing, menus.

Only what a person does: double-click in the file browser, click a link, type into the
editor, press Shift+Enter, type into a terminal. Nothing is opened by typing a path, and
nothing is edited behind the editor's back.
"""
from __future__ import annotations

import time
from pathlib import Path

from selenium.common.exceptions import StaleElementReferenceException, TimeoutException
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import WebDriverWait


class JupyterLabPage:
    def __init__(self, browser, screenshots: Path, timeout: float = 30) -> None:
        self.b = browser
        self.screenshots = screenshots
        self.timeout = timeout
        self.taken: list[Path] = []

    # -- waiting and looking -------------------------------------------------------------
    def wait(self, condition, timeout: float | None = None, message: str = ""):
        try:
            return WebDriverWait(self.b, timeout or self.timeout, ignored_exceptions=(StaleElementReferenceException,)).until(
                condition, message
            )
        except TimeoutException:
            self.shot("timeout")
            raise

    def shot(self, name: str) -> Path:
        self.screenshots.mkdir(parents=True, exist_ok=True)
        path = self.screenshots / f"{name}.png"
        self.b.save_screenshot(str(path))
        self.taken.append(path)
        return path

    def listing(self) -> list[str]:
        """The names the file browser shows in its current folder."""
        return [e.text for e in self.b.find_elements(By.CSS_SELECTOR, ".jp-DirListing-itemName")]

    def tab_labels(self) -> list[str]:
        return [e.text for e in self.b.find_elements(By.CSS_SELECTOR, ".lm-DockPanel .lm-TabBar-tabLabel") if e.text]

    def current(self) -> WebElement:
        """The main area's widget on top (the active document)."""
        return self.b.find_element(By.CSS_SELECTOR, ".lm-DockPanel-widget:not(.lm-mod-hidden).jp-MainAreaWidget")

    # -- the file browser ----------------------------------------------------------------
    def browse_home(self) -> None:
        self.b.find_element(By.CSS_SELECTOR, ".jp-BreadCrumbs-home").click()
        self.wait(lambda b: "labs" in self.listing(), message="the kit's root in the file browser")

    def double_click(self, name: str) -> None:
        def item(b):
            for row in b.find_elements(By.CSS_SELECTOR, ".jp-DirListing-item"):
                if row.find_element(By.CSS_SELECTOR, ".jp-DirListing-itemName").text == name:
                    return row
            return None

        ActionChains(self.b).double_click(self.wait(item, message=f"{name} in the file browser")).perform()

    def open_folder(self, *names: str) -> None:
        for name in names:
            self.double_click(name)
            self.wait(lambda b: name in self.b.find_element(By.CSS_SELECTOR, ".jp-BreadCrumbs").text,
                      message=f"the file browser inside {name}")

    def open_file(self, name: str) -> None:
        self.double_click(name)
        self.wait(lambda b: (self.tab_labels() and self.tab_labels()[-1] == name) or name in self._active_tab(),
                  message=f"{name} open in a tab")

    def _active_tab(self) -> str:
        found = self.b.find_elements(By.CSS_SELECTOR, ".lm-DockPanel .lm-TabBar-tab.lm-mod-current .lm-TabBar-tabLabel")
        return found[0].text if found else ""

    def activate_tab(self, name: str) -> None:
        for tab in self.b.find_elements(By.CSS_SELECTOR, ".lm-DockPanel .lm-TabBar-tab"):
            if tab.find_element(By.CSS_SELECTOR, ".lm-TabBar-tabLabel").text == name:
                tab.click()
                self.wait(lambda b: self._active_tab() == name, message=f"tab {name} in front")
                return
        raise AssertionError(f"no tab {name!r}; tabs: {self.tab_labels()}")

    # -- menus -----------------------------------------------------------------------------
    def menu(self, *path: str) -> None:
        top = next(e for e in self.b.find_elements(By.CSS_SELECTOR, ".lm-MenuBar-item") if e.text.strip() == path[0])
        top.click()
        for label in path[1:]:
            def entry(b, label=label):
                for item in b.find_elements(By.CSS_SELECTOR, ".lm-Menu-item"):
                    labels = item.find_elements(By.CSS_SELECTOR, ".lm-Menu-itemLabel")
                    if item.is_displayed() and labels and labels[0].text.strip() == label:
                        return item
                return None

            self.wait(entry, message=f"menu entry {label}").click()

    # -- the text editor -----------------------------------------------------------------
    def editor_line(self, contains: str) -> WebElement:
        """The editor line holding `contains`, scrolled into view (CodeMirror draws only what is visible)."""
        scroller = self.current().find_element(By.CSS_SELECTOR, ".cm-scroller")
        for _ in range(200):
            for line in self.current().find_elements(By.CSS_SELECTOR, ".cm-line"):
                if contains in line.text:
                    self.b.execute_script("arguments[0].scrollIntoView({block: 'center'})", line)
                    return line
            self.b.execute_script("arguments[0].scrollTop += 200", scroller)
            time.sleep(0.05)
        raise AssertionError(f"no line containing {contains!r} in the editor")

    def type_new_line_after(self, contains: str, text: str) -> None:
        """Click the line holding `contains`, go to its end, press Enter and type `text`
        (the editor indents the new line like the one before)."""
        line = self.editor_line(contains)
        ActionChains(self.b).click(line).send_keys(Keys.END).send_keys(Keys.ENTER).send_keys(text).perform()

    def save(self) -> None:
        ActionChains(self.b).key_down(Keys.CONTROL).send_keys("s").key_up(Keys.CONTROL).perform()
        self.wait(lambda b: not b.find_elements(By.CSS_SELECTOR, ".lm-DockPanel .lm-TabBar-tab.lm-mod-current.jp-mod-dirty"),
                  message="the file saved (no unsaved mark on its tab)")

    # -- notebooks -------------------------------------------------------------------------
    def wait_for_kernel(self, timeout: float = 90) -> None:
        indicator = ".lm-DockPanel-widget:not(.lm-mod-hidden) .jp-Notebook-ExecutionIndicator"
        self.wait(lambda b: any(e.get_attribute("data-status") == "idle" for e in b.find_elements(By.CSS_SELECTOR, indicator)),
                  timeout=timeout, message="the notebook's kernel idle")

    def cell(self, source_contains: str) -> WebElement:
        for cell in self.current().find_elements(By.CSS_SELECTOR, ".jp-Notebook .jp-CodeCell"):
            text = cell.find_element(By.CSS_SELECTOR, ".jp-InputArea-editor").get_attribute("textContent") or ""
            if source_contains in text:
                return cell
        raise AssertionError(f"no code cell containing {source_contains!r}")

    def _activate(self, cell: WebElement, source_contains: str) -> None:
        """Click into `cell`'s editor until it is the active cell. JupyterLab draws a long
        notebook's cells as they scroll into view: cells above the target can grow between the
        scroll and the click, and the click then lands in another cell (a CI run pressed
        Shift+Enter in the cell above check("lab1") and waited 300 s for a cell never run)."""
        for _ in range(10):
            self.b.execute_script("arguments[0].scrollIntoView({block: 'center'})", cell)
            time.sleep(0.2)  # let the drawing settle before the click
            ActionChains(self.b).click(cell.find_element(By.CSS_SELECTOR, ".jp-InputArea-editor")).perform()
            try:  # not self.wait: a missed click is retried, not a failure worth a screenshot
                WebDriverWait(self.b, 2).until(lambda b: "jp-mod-active" in (cell.get_attribute("class") or ""))
                return
            except TimeoutException:
                continue
        raise AssertionError(f"the cell {source_contains!r} never became the active cell after 10 clicks")

    def run_cell(self, source_contains: str, *, done: str = "", timeout: float = 120) -> WebElement:
        """Click into the code cell holding `source_contains` and press Shift+Enter; wait until
        it ran (its prompt shows a number) and, if given, its output holds `done`."""
        cell = self.cell(source_contains)
        self._activate(cell, source_contains)
        ActionChains(self.b).key_down(Keys.SHIFT).send_keys(Keys.ENTER).key_up(Keys.SHIFT).perform()

        def finished(b):
            prompt = cell.find_element(By.CSS_SELECTOR, ".jp-InputPrompt").text
            ran = any(ch.isdigit() for ch in prompt)
            output = cell.find_element(By.CSS_SELECTOR, ".jp-Cell-outputWrapper").text
            return ran and (done in output)

        try:
            self.wait(finished, timeout=timeout, message=f"the cell {source_contains!r} ran")
        except TimeoutException:
            # What the student would see, in the failure itself (CI keeps only the log's tail).
            prompt = cell.find_element(By.CSS_SELECTOR, ".jp-InputPrompt").text
            output = cell.find_element(By.CSS_SELECTOR, ".jp-Cell-outputWrapper").text
            raise AssertionError(f"the cell {source_contains!r} had not finished after {timeout:.0f} s "
                                 f"(prompt {prompt!r}; {done!r} expected); its output ends: {output[-1500:]!r}") from None
        return cell

    # -- terminals -------------------------------------------------------------------------
    def new_terminal(self) -> None:
        self.menu("File", "New", "Terminal")
        self.wait(lambda b: b.find_elements(By.CSS_SELECTOR, ".jp-Terminal .xterm"), message="a terminal")
        self.wait(lambda b: "$" in self.terminal_text() or "#" in self.terminal_text(), message="a shell prompt")

    def terminal_text(self) -> str:
        """What the terminal shows, read from xterm's screen-reader rows (the kit's test turns
        JupyterLab's screen-reader mode on: the canvas itself cannot be read)."""
        rows = self.b.find_elements(By.CSS_SELECTOR, ".lm-DockPanel-widget:not(.lm-mod-hidden) .jp-Terminal .xterm-accessibility-tree > div")
        return "\n".join((r.get_attribute("textContent") or "").rstrip("\xa0 ") for r in rows).strip()

    def type_in_terminal(self, command: str) -> None:
        self.b.find_element(By.CSS_SELECTOR, ".lm-DockPanel-widget:not(.lm-mod-hidden) .jp-Terminal .xterm").click()
        ActionChains(self.b).send_keys(command + "\n").perform()
