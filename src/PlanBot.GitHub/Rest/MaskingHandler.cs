using System.Text;
using PlanBot.Core.Plans.Values;

namespace PlanBot.GitHub.Rest;

/// <summary>
/// The last line of defence on the way to GitHub: every request body PlanBot sends (comments, commit
/// statuses, check runs, issues, lock comments) has PlanBot's own secrets and credential-named
/// variables of its environment masked, in each encoding they can take (a JSON body escapes them).
/// Whatever a pull request made terraform print, it does not reach GitHub with a credential in it.
/// </summary>
public sealed class MaskingHandler(SecretScrubber scrubber) : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (scrubber.SecretCount > 0 && request.Content is { } content)
        {
            var text = await content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            var masked = scrubber.Scrub(text);
            if (!ReferenceEquals(masked, text) && masked != text)
            {
                var replaced = new StringContent(masked, Encoding.UTF8);
                replaced.Headers.ContentType = content.Headers.ContentType;
                request.Content = replaced;
                content.Dispose();
            }
        }

        return await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
    }
}
